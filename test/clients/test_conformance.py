"""The official conformance suite, jupyter_kernel_test, against the asyncio-ts kernel, with a
sample for every optional test it has."""

import jupyter_kernel_test as jkt


class AsyncioTsKernelTests(jkt.KernelTests):
    kernel_name = "asyncio-ts"
    language_name = "typescript"
    file_extension = ".ts"

    code_hello_world = 'console.log("hello, world")'
    code_stderr = 'console.error("something went wrong")'

    completion_samples = [
        # By type, case-insensitively as TypeScript matches (exact case first): SQRT2 too.
        {"text": "Math.sq", "matches": {"sqrt", "SQRT2", "SQRT1_2"}},
        {"text": "JSON.str", "matches": {"stringify"}},
        # By type alone: no live value has these members before the cell runs.
        {"text": "Promise.resolve(1).th", "matches": {"then"}},
        {"text": "new Map<string, number>().ge", "matches": {"get"}},
    ]
    complete_code_samples = ["1 + 1", "const x = 1;", "function f() {\n  return 1;\n}"]
    # Incomplete where more lines can complete it; invalid where none can (an unterminated string
    # literal may not span lines).
    incomplete_code_samples = ["function f() {", "const x =", "1 +", "const a = [1,", "if (true) {"]
    invalid_code_samples = ["}", 'const s = "abc', "const = 1;", "1 +* 2"]

    code_page_something = 'page("a page of text")'
    code_generate_error = 'throw new Error("boom")'
    code_execute_result = [
        {"code": "6 * 7", "result": "42"},
        {"code": "'ab' + 'c'", "result": "'abc'"},
        {"code": "[1, 2, 3].map((x: number) => x * 2)", "result": "[ 2, 4, 6 ]"},
    ]
    code_display_data = [
        {"code": 'display.html("<b>bold</b>")', "mime": "text/html"},
        {"code": 'display.markdown("# Title")', "mime": "text/markdown"},
        {"code": 'display.svg("<svg xmlns=\'http://www.w3.org/2000/svg\'></svg>")', "mime": "image/svg+xml"},
        {"code": "display.png(new Uint8Array([137, 80, 78, 71]))", "mime": "image/png"},
        {"code": "display.json({ a: 1 })", "mime": "application/json"},
    ]
    code_history_pattern = "6 *"
    supported_history_operations = ("tail", "range", "search")
    code_inspect_sample = "Math"
    code_clear_output = "clearOutput()"
