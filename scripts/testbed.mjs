// `npm run testbed`: runtimed's kernel-testbed against the kernel (test/conformance/testbed.mjs).
import { main } from "../test/conformance/testbed.mjs";

process.exitCode = await main(process.argv.slice(2));
