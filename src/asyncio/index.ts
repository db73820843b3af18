// The public names of asyncio-ts, grouped by module (our `__all__`). Nothing else is public.

// exceptions.ts
export {
  AsyncioError,
  BoundedSemaphoreError,
  BrokenBarrierError,
  BrokenPipeError,
  CancelledError,
  ConnectionAbortedError,
  ConnectionError,
  ConnectionRefusedError,
  ConnectionResetError,
  ExceptionGroup,
  FileNotFoundError,
  IncompleteReadError,
  InvalidStateError,
  LimitOverrunError,
  OSError,
  PermissionError,
  ProcessLookupError,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  TimeoutError,
  isCancelledError,
} from "./exceptions.js";

// log.ts
export { Logger, LogLevel, logger, formatRecord, type LogHandler, type LogRecord } from "./log.js";

// events.ts: the loop's interface, handles, and the functions that find a loop.
export {
  Handle,
  TimerHandle,
  getEventLoop,
  getRunningLoop,
  newEventLoop,
  setEventLoop,
  type AbstractEventLoop,
  type CreateConnectionOptions,
  type CreateServerOptions,
  type ExceptionContext,
  type ExceptionHandler,
} from "./events.js";

// base-events.ts
export { BaseEventLoop, type EventLoopOptions, type LoopClock } from "./base-events.js";

// node-events.ts: the loop newEventLoop() makes.
export { EventLoop } from "./node-events.js";

// protocols.ts
export { BaseProtocol, BufferedProtocol, DatagramProtocol, Protocol, SubprocessProtocol, type Address } from "./protocols.js";

// transports.ts
export type { BaseTransport, DatagramTransport, ReadTransport, SubprocessTransport, Transport, WriteTransport } from "./transports.js";
export type { DatagramExtraInfo, PipeExtraInfo, SocketExtraInfo, SubprocessExtraInfo } from "./transports.js";

// streams.ts
export {
  DEFAULT_LIMIT,
  StreamReader,
  StreamReaderProtocol,
  StreamWriter,
  openConnection,
  openUnixConnection,
  startServer,
  startUnixServer,
  type ClientConnectedCallback,
  type StartServerOptions,
} from "./streams.js";

// socket-transports.ts
export { Server, ServerSocket, type ProtocolFactory } from "./socket-transports.js";

// subprocess-transports.ts
export type { StdioSpec, SubprocessOptions } from "./subprocess-transports.js";

// subprocess.ts: the two functions Python's asyncio exports, and the whole module as
// `asyncio.subprocess` (Python's `asyncio.subprocess.PIPE`, `asyncio.subprocess.Process`).
export { createSubprocessExec, createSubprocessShell, type CreateSubprocessOptions } from "./subprocess.js";
export * as subprocess from "./subprocess.js";

// datagram-transports.ts
export type { CreateDatagramEndpointOptions } from "./datagram-transports.js";

// futures.ts
export { Future, isFuture, type DoneCallback, type FutureOptions } from "./futures.js";

// coroutines.ts
export { CoroutineObject, coroutine, isCoroutine, isCoroutineFunction, wrapPromise, type GeneratorCoroutine } from "./coroutines.js";

// tasks.ts
export {
  ALL_COMPLETED,
  AsCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Task,
  allTasks,
  asCompleted,
  createTask,
  currentTask,
  ensureFuture,
  gather,
  shield,
  sleep,
  wait,
  waitFor,
  type AwaitableLike,
  type CoroutineLike,
  type GatherOptions,
  type ReturnWhen,
  type TaskOptions,
  type WaitOptions,
} from "./tasks.js";

// task-groups.ts
export { TaskGroup, type TaskGroupBody } from "./task-groups.js";

// timeouts.ts
export { Timeout, timeout, timeoutAt, type TimeoutBody } from "./timeouts.js";

// locks.ts
export { BoundedSemaphore, Condition, Event, Lock, Semaphore } from "./locks.js";
export { Barrier } from "./locks.js";
export type { Acquired } from "./locks.js";

// queues.ts
export { LifoQueue, PriorityQueue, Queue, type PriorityQueueOptions, type QueueOptions } from "./queues.js";
export type { QueueShutdownOptions } from "./queues.js";

// runners.ts
export { run, type RunOptions } from "./runners.js";

// context.ts
export { ContextVar, copyContext, type Context } from "./context.js";

// Seeing the loop: monitor.ts (what it holds, live), call-graph.ts (who awaits whom),
// timeline.ts (what it did, when, one lane per task).
export { Monitor, loopSnapshot, monitor, type LoopSnapshot, type MonitorOptions, type ServerView, type TaskView, type TimerView } from "./monitor.js";
export { captureCallGraph, formatCallGraph, printCallGraph, type CallGraphOptions, type FrameCallGraphEntry, type FutureCallGraph } from "./call-graph.js";
export { Timeline, timeline, type TimelineKind, type TimelineOptions, type TimelineSpan, type TimelineWake } from "./timeline.js";
