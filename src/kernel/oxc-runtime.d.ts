// The one oxc runtime helper the kernel loads for cells (interpreter.ts); the package ships no types.
declare module "@oxc-project/runtime/helpers/usingCtx" {
  const usingCtx: unknown;
  export default usingCtx;
}
