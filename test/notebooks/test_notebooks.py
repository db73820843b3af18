"""The lessons are tests: every notebook in notebooks/ runs top to bottom through the real
kernel (nbclient over jupyter_client), shows the outputs the lesson promises, is well formed
(nbformat 4.5, the asyncio-ts kernelspec, slide metadata, exercises with collapsed solutions,
committed without outputs), becomes a reveal.js deck, and together the notebooks teach every
section of the class's deck.

Two tables to keep up to date when a notebook is written or changed:
- EXPECTED: the key outputs of each notebook, by cell id;
- DECK: every heading of the class's deck, in the deck's order, with the notebook and cell id
  that teaches it (or `pending("NN-name")` while that notebook is not written yet).
"""

import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest

from lessons import (
    ANSI,
    KERNELSPEC,
    LESSONS,
    NOTEBOOK_DIR,
    ROOT,
    SLIDE_TYPES,
    errors,
    notebook_paths,
    outputs_text,
    result_text,
    run_notebook,
    stream_text,
    tags,
)

# --- What a cell must show -------------------------------------------------------------------
# In EXPECTED a plain string is the cell's result (Out[n], text/plain) exactly; the helpers
# below say anything else.


@dataclass(frozen=True)
class Expect:
    what: str
    text: str

    def check(self, cell):
        shown = ANSI.sub("", outputs_text(cell))
        if self.what == "result":
            got = result_text(cell)
            assert got == self.text, f"Out is {got!r}, expected {self.text!r} (the cell showed {shown!r})"
        elif self.what == "stdout":
            got = stream_text(cell, "stdout")
            assert self.text in got, f"stdout {got!r} lacks {self.text!r}"
        elif self.what == "stderr":
            got = ANSI.sub("", stream_text(cell, "stderr"))
            assert self.text in got, f"stderr {got!r} lacks {self.text!r}"
        elif self.what == "output":
            assert self.text in shown, f"the cell showed {shown!r}, which lacks {self.text!r}"
        elif self.what in ("matches", "live"):
            assert re.search(self.text, shown, re.S), f"the cell showed {shown!r}, which does not match /{self.text}/"
        elif self.what == "error":
            errs = [f"{e.ename}: {e.evalue}" for e in errors(cell)]
            assert any(e.startswith(self.text) for e in errs), f"errors {errs!r}, expected one starting {self.text!r}"
        elif self.what == "mime":
            types = [t for o in cell.get("outputs", []) if o.output_type in ("display_data", "execute_result") for t in o.data]
            assert self.text in types, f"no {self.text} output (had {types!r})"
        elif self.what == "nothing":
            assert cell.get("outputs") == [], f"the cell showed {shown!r}, expected nothing"
        else:
            raise AssertionError(f"unknown expectation {self.what}")


def result(text):
    """Out[n] is exactly `text` (Node's inspect form: strings in single quotes)."""
    return Expect("result", text)


def stdout(text):
    """What the cell printed contains `text`."""
    return Expect("stdout", text)


def stderr(text):
    """What the cell wrote to stderr (the `asyncio` logger, console.error) contains `text`."""
    return Expect("stderr", text)


def output(text):
    """Something the cell shows (any stream, result, display or error) contains `text`."""
    return Expect("output", text)


def matches(regex):
    """What the cell shows, as one text, matches `regex` (dot matches newlines)."""
    return Expect("matches", regex)


def live(regex):
    """A live display (the loop monitor): its first picture, which nbclient records, matches
    `regex`. nbclient leaves a finished cell's outputs alone; JupyterLab applies the display's
    later updates, so the browser tests check only that the table is shown (jupyter.ts)."""
    return Expect("live", regex)


def error(prefix):
    """The cell fails (it must be tagged raises-exception) with "Name: message" starting with `prefix`."""
    return Expect("error", prefix)


def nothing():
    """The cell shows nothing at all (no output, no result)."""
    return Expect("nothing", "")


def mime(mimetype):
    """The cell displays something of this mime type (image/svg+xml, text/html, ...)."""
    return Expect("mime", mimetype)


@dataclass(frozen=True)
class AllOf:
    expects: tuple

    def check(self, cell):
        for want in self.expects:
            (result(want) if isinstance(want, str) else want).check(cell)


def all_of(*expects):
    """Each of these holds: a picture and the text that comes with it, say."""
    return AllOf(expects)


# A Timeline's text summary, one lane: its name, its steps, its busy milliseconds.
def lane(name, steps=r"\d+"):
    return name + " +" + str(steps) + r" +[\d.]+"


CELL_LANE = lane(r"In\[\d+\]")  # the cell's own task, which awaited the timeline


# --- The key outputs of each notebook, by cell id --------------------------------------------
EXPECTED = {
    "00-welcome": {
        "setup-check": stdout("asyncio-ts loaded: true"),
        "first-await": "'awake'",
        "timer-start": "<Future pending>",
        "timer-later": matches(r"^'set 1\.\d s after it was asked for'$"),  # 1.0, a little more under load
        "asyncio-run-in-a-cell": "'main ran to its end'",
        "concepts-glimpse": "'HELLO, LOOP\\n'",
        "concepts-glimpse-close": "false",
        "solution-two-cells": "42",
    },
    "01-generators": {
        "yield-example-call": nothing(),
        "next-1": matches(r"^start\n\{ value: undefined, done: false \}$"),
        "next-2": matches(r"^continue\n\{ value: undefined, done: false \}$"),
        "next-3": matches(r"^stop\n\{ value: undefined, done: true \}$"),
        "next-4": "{ value: undefined, done: true }",
        "squares-define": stdout("0\n1\n4\n9\n16\n"),
        "lazy-interleave": stdout("made 0\ngot 0\nmade 1\ngot 1\nmade 4\ngot 4\n"),
        "once-first": "[ 0, 1, 4, 9, 16 ]",
        "once-second": "[]",
        "infinite-define": "[ 0, 1, 2, 3, 4 ]",
        "why-asyncio-glimpse": stdout("a 1\nb 1\na 2\nb 2\na 3\nb 3\n"),
        "solution-fibonacci": matches(r"0, 1, +1, +2, +3,\s+5, 8, 13, 21, 34"),
        "solution-lazy-count": "3",
    },
    "02-yield-star": {
        "yield-vs-star": matches(r"^\[ Object \[Generator\] \{\} \]\nyield\* gave back: inner is done\n\[ 1, 2 \]$"),
        "spread-drops-return": "[ 'thinking' ]",
        "yield-star-gets-return": output("{ value: 'the answer is 42', done: true }"),
        "averager-define": output("{ value: { count: 2, average: 15 }, done: true }"),
        "report-define": output("{ value: '3 values, average 4', done: true }"),
        "throw-through": matches(r"^careful caught: stop that\n\{ value: 'recovered', done: false \}$"),
        "return-through": matches(r"^careful: finally \(clean-up runs\)\n\{ value: 'cancelled', done: true \}$"),
        "expansion-check": output("true"),
        "expansion-throw": stdout("careful caught: by hand"),
        "expansion-return": matches(r"^careful: finally \(clean-up runs\)\n\{ value: 'closed', done: true \}$"),
        "future-waiter-first": "{ value: <Future pending>, done: false }",
        "future-waiter-resume": "{ value: 'Hello, YOUR NAME', done: true }",
        "solution-flatten": "[ 1, 2, 3, 4, 5 ]",
        "solution-total": "[ 1, 2, 3, 'total: 6' ]",
    },
    "03-event-loop": {
        "default-loop": "[ true, false, true ]",
        "call-soon-order": "[ 'the cell itself', 'a', 'b', 'c (queued by a)' ]",
        "call-soon-args": stdout("callbacks take arguments, 2 times"),
        "timers-order": matches(r"^\[ 'fast at 0\.\d s', 'middle at 0\.\d s', 'slow at 0\.\d s' \]$"),
        "timer-handle": matches(r"<TimerHandle when=[\d.]+ stamp\('in ten seconds'\)>.*\[ true, '10' \]"),
        # The monitor's table, printed 1.5 s in: the one-second timer ran and left the list.
        "watch-timers-demo": matches(
            r"ring: one second\n-- 1\.5 s later --\n(?:(?!ring\('one second'\)).)*TIMER IN +CALLBACK\n0\.\d s +ring\('two seconds'\)$"
        ),
        # The timeline: its picture, with a lane for the body (and the cell's task, in either
        # order), the three timers (early, late, the sleep's), then the same summary printed and
        # the order the callbacks ran in, with no two spans overlapping.
        "timeline-demo": all_of(
            mime("image/svg+xml"),
            matches(rf"\n(?:{CELL_LANE}\n)?{lane('oneAtATime')}\n(?:{CELL_LANE}\n)?{lane('timers', 3)}\n{lane('I/O', 0)}\n{lane('callbacks')}$"),
        ),
        "timeline-summary": matches(
            rf"\n{lane('oneAtATime')}\n.*\n{lane('callbacks')}\n\[ \[ 'first', 'second', 'third', 'early', 'late' \], true \]$"
        ),
        "own-loop-idle": "[ [], false ]",
        "run-until-complete": "[ 'slept on myLoop', [ 'ran' ], false ]",
        "run-forever": matches(r"^stopping; the running loop is myLoop: true\n'ran for 0\.[23] s'$"),
        "closed-refuses": error("Error: Event loop is closed"),
        "kernel-loop-run": "\"waited on the kernel's loop\"",
        "debug-env": "[ true, false ]",
        "slow-callback": stderr("WARNING:asyncio:Executing <Handle slowCallback() created at"),
        # In debug mode the slow callback is a slow span (red), and the timer due during it waits.
        "slow-timeline": all_of(
            mime("image/svg+xml"),
            stdout("the timer due at 50 ms ran "),
            stderr("WARNING:asyncio:Executing <Handle slowCallback() created at"),
            output("\n1 slow (>= 100 ms, debug mode)"),
        ),
        "slow-timeline-check": "[ 'slowCallback', true ]",
        "never-retrieved-report": matches(r"ERROR:asyncio:Task exception was never retrieved\n.*exception=Error\('nobody asked about me'\).*Error: nobody asked about me"),
        "logger-level": "0",
        "debug-off": "false",
        "solution-own-loop": "3",
        "solution-find-slow": matches(r"^\[ 'Executing <Handle sluggish\(\)> took 0\.\d+ seconds' \]$"),
    },
    "04-coroutines": {
        "coroutine-object": "<coroutine object compute()>",
        "coroutine-await": "13",
        "bad-yield": error("Error: Task got bad yield: 42"),
        "bare-yield-turns": "[ 'a1', 'b1', 'a2', 'b2', 'a3', 'b3' ]",
        "not-started": "<coroutine object noisy()>",
        "schedule-ways": matches(
            r"^-- tasks made; the cell now waits for them --\n(\d\. .*: started\n){3}(\d\. .*: finished\n){3}"
            r"\[\s*'1\. new Task',\s*'2\. loop\.createTask',\s*'3\. yield\* from a running coroutine'\s*\]$"
        ),
        "loop-must-run": matches(r"^<Task pending name='Task-\d+' coro=<noisy\(\) running>>$"),
        "reuse-twice": error("Error: cannot reuse already awaited coroutine"),
        "async-define": "[ 13, 13 ]",
        "eager-vs-lazy": matches(r"^eager: started\n-- both called --\n.*lazy: started\nlazy: finished\n\[ 'eager done', 'lazy' \]$"),
        "lazy-async": matches(r"^-- called --\npatient: started\n'patient done'$"),
        "callback-style": "13",
        "throwing-coroutine": "[ '1 / 4 = 0.25', 'could not divide: division by zero' ]",
        "solution-convert": "[ '1 / 4 = 0.25', 'could not divide: division by zero' ]",
        "solution-eager": stdout("called, not yet running\nannounce: running\n"),
        "solution-together": matches(r"^'2 and 4 in 0\.[12] s'$"),  # 0.1 (0.2 would mean one after the other)
    },
    "05-futures": {
        "repl-create": "<Future pending>",
        "repl-done": "false",
        "repl-result-not-ready": error("InvalidStateError: Result is not ready."),
        "repl-set-result": nothing(),
        "repl-done-again": "true",
        "repl-result": "'Your Name'",
        "repl-cancelled": "false",
        "repl-cancel": "false",
        "repl-finished": "<Future finished result='Your Name'>",
        "cancel-create": "true",
        "cancel-repr": "[ <Future cancelled>, true, true ]",
        "cancel-result": error("CancelledError"),
        "cancel-message-demo": stdout("CancelledError: nobody needs it any more"),
        "exception-demo": matches(r"^\[\s+<Future finished exception=Error\('the disk is full'\)>,\s+true,\s+'Error: the disk is full'\s+\]$"),
        "exception-result": error("Error: the disk is full"),
        "callback-order": matches(r"^setResult returned\ncallback sees 42$"),
        "await-and-yield": "[ 'await got Your Name', 'yield* got Your Name' ]",
        # The REPL style: a task made in one cell, seen waiting on the future in the next, gone
        # from the loop once the result is set in the third.
        "watch-waiter-create": nothing(),
        "watch-waiter-look": live(r"recipient +waiting +waitForParcel\(\) +In\[\d+\], line 3 +<Future pending cb=\[Task\.wakeup\(\)\]>"),
        "watch-waiter-resolve": "[ 'opened: a book', false ]",
        "cancel-while-waiting-demo": "'patient() was told: CancelledError: gave up waiting'",
        "solution-set-after": matches(r"^ready after 0\.[23]\d s$"),
        "solution-predict-states": matches(
            r"^a done: false \| cancelled: false \| result: throws InvalidStateError \| exception: throws InvalidStateError\n"
            r"b done: true \| cancelled: false \| result: throws RangeError \| exception: RangeError: too big\n"
            r"c done: true \| cancelled: true \| result: throws CancelledError \| exception: throws CancelledError$"
        ),
        "solution-first-of": "'fast'",
    },
    "06-tasks": {
        "task-is-future": "[ true, false ]",
        "task-await": "[ 'rested', true, 'rested' ]",
        "task-repr-demo": matches(r"^<Task finished name='Task-\d+' coro=<sleep\(\) done> result='rested'>$"),
        "stepper-start": matches(
            r"^step 1: runs until it yields the gate\n"
            r"<Task pending name='Task-\d+' coro=<stepper\(\) running> wait_for=<Future pending cb=\[Task\.wakeup\(\)\]>>$"
        ),
        "stepper-gate": "<Future pending cb=[Task.wakeup()]>",
        "stepper-open": "'GO'",
        "lazy-coroutine": matches(r"^<coroutine object myCoro\(\)>$"),
        "task-demo": matches(r"^Hello, YOUR NAME$"),
        # The last line commented out, on a loop nobody runs: nothing printed, the task pending.
        "comment-out": matches(r"^<Task pending name='Task-\d+' coro=<myCoro\(\) running>>$"),
        "create-task-ways": "[ 'loop.createTask', 'ensureFuture', 'asyncio.createTask' ]",
        # The monitor's tree: the gather's two tasks under the task that awaits them.
        "see-tasks-monitor": live(
            r"\nalone +waiting +sleep\(\) +sleep \(\d\.\d s left\)[^\n]*\n"
            r"waiter +waiting +bothNaps\(\) +In\[\d+\], line 5 +gather\('short-nap', 'long-nap'\)[^\n]*\n"
            r"├─ short-nap +waiting +sleep\(\) +sleep \(\d\.\d s left\)[^\n]*\n"
            r"└─ long-nap +waiting +sleep\(\) +sleep \(\d\.\d s left\).*"
            r"TIMER IN +CALLBACK\n1\.0 s +wakes 'short-nap' \(sleep\)\n"
        ),
        "call-graph-demo": matches(
            r"^\* Task\(name='short-nap', coro=sleep\(\)\)\n\+ Call stack:\n\|   in sleep\(\)\n\+ Awaited by:\n"
            r"   \* Task\(name='waiter', coro=bothNaps\(\)\)\n   \+ Call stack:\n   \|   In\[\d+\], line 5, in bothNaps\(\)$"
        ),
        "see-tasks-end": "[ true, true, 1 ]",
        # Three tasks taking turns: a lane each, four steps each (three turns and the return), in
        # the order A, B, C every round; the nine sleeps' timers; nothing overlapping.
        "take-turns-timeline": all_of(
            mime("image/svg+xml"),
            matches(rf"\n{lane('task A', 4)}\n{lane('task B', 4)}\n{lane('task C', 4)}\n{lane('timers', 9)}\n{lane('I/O', 0)}\n{lane('callbacks')}$"),
        ),
        "take-turns-check": matches(r"\n\[ 'A1 B1 C1 A2 B2 C2 A3 B3 C3', 'ABCABCABCABC', true \]$"),
        "run-task": matches(r"^Task is done: Task-\d+$"),
        "omit-kernel": matches(r"^<Task pending name='Task-\d+' coro=<sleep\(\) running> cb=\[announceTaskDone\(\)\]"),
        "omit-kernel-check": "true",
        "omit-fresh": matches(r"^<Task pending name='Task-\d+' coro=<sleep\(\) running> cb=\[announceTaskDone\(\)\]>$"),
        # The last line twice: one run, one announcement, the second call returns at once.
        "duplicate": matches(
            r"^Task is done: Task-(\d+)\nthe second runUntilComplete took 0\.0\d\d s\n"
            r"<Task finished name='Task-\1' coro=<sleep\(\) done> result=undefined>$"
        ),
        "cancel-task-demo": matches(
            r"^worker: sleeping for 10 s\nworker: finally runs \(cleaning up\)\n"
            r"awaiting the task threw CancelledError\n\[ true, true \]$"
        ),
        "solution-finish-order": matches(r"^done: fast\ndone: medium\ndone: slow$"),
        "solution-countdown-script": matches(r"^3\n2\n1\n'liftoff'$"),
        "solution-cancel-refuse": matches(r"^stubborn: asked to stop, finishing anyway\n\[ false, 'finished anyway' \]$"),
    },
    "07-transports-protocols": {
        "echo-protocol": nothing(),
        "echo-server-pending": "<coroutine object createServer()>",
        "echo-server-start": matches(r"^Listening on 127\.0\.0\.1:(\d+)\. From a terminal: nc 127\.0\.0\.1 \1\ntrue$"),
        "echo-client": "'echo:hello, echo\\n'",
        "echo-client-ends": matches(r"peername: \[ '127\.0\.0\.1', \d+ \],\s+sockname: \[ '127\.0\.0\.1', \d+ \]"),
        "one-shot": matches(
            r"^Connection made\n<Buffer 6a 75 73 74 20 6f 6e 63 65 0a>\nConnection lost: closed cleanly\n"
            r"Connection lost! Closing server\.\.\.\nthe client got \"echo:just once\\n\"\nfalse$"
        ),
        "unix-echo": matches(r"^Connection made\n<Buffer [0-9a-f ]+>\nConnection lost: closed cleanly\n'echo:over a Unix socket\\n'$"),
        "echo-server-close": "false",
        "solution-shout": "'QUIET PLEASE\\n'",
        "solution-count-bytes": "'received 12 bytes\\n'",
        "solution-line-echo": "'line 1: a\\nline 2: b\\nline 3: c\\n'",
    },
    "08-streams": {
        "task-callback": matches(r"^word is done, its result is \"streams\"\n'streams'$"),
        "start-server-demo": matches(r"^try it: nc 127\.0\.0\.1 \d+$"),
        "greet-client": "'hello from the server\\n'",
        "greet-close": "false",
        "echo-server-start": matches(r"^echo_server_task is listening\. From a terminal: nc 127\.0\.0\.1 \d+$"),
        "echo-client": "[ 'echo:hello\\n', 'echo:how are you?\\n' ]",
        "echo-count-one": "'1 Clients Served'",
        # The idle client: one connection with its bytes each way, its task waiting at readline;
        # then closed, the connection gone and the client counted.
        "watch-echo-client": live(
            r"\nTask-\d+ +waiting +handleClient\(\) +In\[\d+\], line 7 +readline <StreamReader[^\n]*\n.*"
            r"\nSERVER 127\.0\.0\.1:\d+: 1 connection\n +PEER +IN +OUT\n +127\.0\.0\.1:\d+ +11 B +16 B$"
        ),
        "watch-echo-close": matches(r"^(?:(?!handleClient).)*\nSERVER 127\.0\.0\.1:\d+: 0 connections\n'2 Clients Served'$"),
        "echo-many-clients": matches(r"^5 Clients Served\n\[ 'echo:one', 'echo:two', 'echo:three' \]$"),
        # Three clients on the timeline: a lane per client task, then the server's three
        # handleClient tasks (unnamed), and I/O callbacks among them.
        "many-clients-timeline": all_of(
            mime("image/svg+xml"),
            matches(
                rf"\n{lane('client four')}\n{lane('client five')}\n{lane('client six')}\n"
                + (lane(r"Task-\d+") + "\n") * 3
                + lane("timers") + "\n" + lane("I/O", r"[1-9]\d*") + "\n" + lane("callbacks") + "$"
            ),
        ),
        "many-clients-timeline-check": matches(r"\[\s*3,\s*\[ '_accept', '_dataReceived'[^\]]*\],\s*'8 Clients Served'\s*\]$"),
        "proxy-client": matches(r"^the echo server served 1 more client\(s\)\n\[ 'echo:through the proxy\\n', 0 \]$"),
        "close-servers": matches(r"^9 Clients Served\n\[ false, false \]$"),
        "solution-reverse-server": "'desserts\\n'",
        "solution-lines-per-client": matches(r"^client sent 3 lines\necho:a\necho:b\necho:c\n*$"),
        "solution-timeout": "'TimeoutError after 0.2 s'",
    },
    "09-http-client": {
        "server-start": matches(r"^The lesson's server is listening on http://127\.0\.0\.1:\d+/$"),
        # The class's curl, both styles: the response's repr (status line, then headers), then the size.
        "curl-run": matches(
            r"^<ClientResponse\(http://127\.0\.0\.1:\d+/\) \[200 OK\]>\n"
            r"<CIMultiDict\('Content-Type': 'text/html; charset=utf-8', 'Content-Length': '18'.*\)>\nDownloaded: 18$"
        ),
        "curl-async": matches(
            r"^<ClientResponse\(http://127\.0\.0\.1:\d+/hello\.json\) \[200 OK\]>\n"
            r"<CIMultiDict\('Content-Type': 'application/json; charset=utf-8'.*\)>\nDownloaded: 28$"
        ),
        "response-head": "[ 200, 'OK', 'application/json; charset=utf-8', 'application/json' ]",
        "response-json": "{ hello: 'world', lesson: 9 }",
        "stream-lines": matches(r"^\d\.\d s: line 1\n\d\.\d s: line 2\n\d\.\d s: line 3\n\d\.\d s: line 4$"),
        "session-ports": "{ separate: 3, inOneSession: 1 }",
        "session-echo": matches(r"method: 'POST',\s+query: \[ \[ 'q', 'asyncio' \], \[ 'page', '2' \] \],\s+body: '\{\"name\":\"Ada\"\}'"),
        "status-404": "[ 404, 'Not Found', false ]",
        "raise-for-status": error("ClientResponseError: 404, message='Not Found', url='http://127.0.0.1:"),
        "refused": error("ClientConnectorError: Cannot connect to host 127.0.0.1:"),
        "refused-caught": stdout("no server there: ECONNREFUSED"),
        "timeout-caught": stdout("gave up after 0.2 s: TimeoutError"),
        "many-at-once": matches(r"^'5 answers \(done, done, done, done, done\) in 0\.\d s'$"),
        "close-all": "[ true, 0 ]",
        "solution-chunks": stdout("Downloaded: 250000 bytes in "),
        "solution-first": "[ 'waited 0.1 s', [ true, false ] ]",
        "solution-retry": matches(r"^attempt 1: ECONNREFUSED\n(attempt \d+: ECONNREFUSED\n)*attempt \d+: answered\n'waited 0 s'$"),
    },
    "10-http-server": {
        "basic-server-start": matches(r"^serving on \[ '127\.0\.0\.1', \d+ \]$"),
        "basic-client": "[ 200, 'text/html; charset=UTF-8', '<h1>It Works!</h1>' ]",
        "basic-raw": matches(r"^HTTP/1\.1 200 OK\r?\nContent-Type: text/html; charset=UTF-8\r?\nContent-Length: 18\r?\n.*\r?\n\r?\n<h1>It Works!</h1>$"),
        "basic-any-path": "[ 200, '<h1>It Works!</h1>' ]",
        "curl-helper": output("$ curl -i http://127.0.0.1:"),
        "multidict-demo": matches(
            r"^a plain object keeps: \{ tag: 'io', page: '2' \}\n"
            r"\[\s+'async',\s+\[ 'async', 'io' \],\s+3,\s+\"<MultiDict\('tag': 'async', 'tag': 'io', 'page': '2'\)>\"\s+\]$"
        ),
        "complete-handler": matches(r"^serving on \[ '127\.0\.0\.1', \d+ \]$"),
        "complete-get": "\"<h1>It Works!</h1><h2>Get params</h2><p><MultiDict('a': '1', 'a': '2', 'b': 'x y')></p>\"",
        "complete-post": "\"<h1>It Works!</h1><h2>Get params</h2><p><MultiDict('q': '1')></p><h2>Post params</h2><p>name=Guido&lang=Python</p>\"",
        "complete-curl": output("$ curl -d 'name=Guido&lang=Python' http://127.0.0.1:"),
        # The multi-process server, run as a child process: two workers answer in turn, a killed
        # one is replaced, SIGTERM stops every process.
        "mpsrv-start": matches(r"^\{ port: \d+, primary: \d+, workers: \[ \d+, \d+ \] \}$"),
        "mpsrv-query": stdout("answers came from 2 different worker processes, never from the primary: true"),
        "mpsrv-kill": matches(r"WARNING:asyncio:Supervisor: worker (\d+) exited with signal SIGKILL; starting another in 0\.2 s\nworker \1 was replaced by worker \d+$"),
        "mpsrv-stop": matches(r"Supervisor: SIGTERM, stopping the workers.*\[ 0, 'all workers stopped', \[ false, false, false, false \] \]$"),
        "close-servers": "[ false, false ]",
        "solution-async-echo": "[ '<h1>GET /hello</h1>', '<h1>DELETE /items/3</h1>' ]",
        "solution-form": "[ 'Hello, Ada!', 'Hello, stranger!' ]",
        "solution-router": "[ '/ 200', '/time 200', '/nope 404' ]",
    },
    "11-rest": {
        "aiorest-hello": matches(r"^serving on http://127\.0\.0\.1:\d+/$"),
        "aiorest-client": "[ 200, 'application/json; charset=utf-8', { hello: 'world' } ]",
        "show-helper": "'200 {\"id\":1,\"title\":\"Fluent Python\",\"author\":\"Luciano Ramalho\"}'",
        "books-calls": matches(
            r'^200 \[\{"id":2,"title":"Using Asyncio in Python","author":"Caleb Hattingh"\}\]\n'
            r'201 \{"id":3,"title":"Python Concurrency with asyncio","author":"Matthew Fowler"\}\n'
            r'404 \{"error":"No book 99"\}\n400 \{"error":"A book needs a title and an author"\}$'
        ),
        "books-delete": matches(r'^200 \{"deleted":3\}\n\'200 \[\{"id":1,.*\{"id":2,.*\}\]\'$'),
        # The errors the REST server answers by itself, each as JSON, and the 500 in its log.
        "errors-table": matches(
            r'GET /nope +404 \{"error":"Not Found"\}\n'
            r'PUT /books/1 +405 \{"error":"Method Not Allowed"\} Allow: DELETE, GET\n'
            r'POST \{not json +400 \{"error":"Request body is not valid JSON"\}\n'
            r'GET /crash +500 \{"error":"Internal Server Error"\}\n'
            r"the server's log: ERROR: Error handling request GET /crash: Error: something broke inside the handler$"
        ),
        "web-calls": matches(
            r'^GET / +200 \{"hello":"world"\}\nGET /books/2 +200 \{"id":2,.*\}\n'
            r'GET /books/42 +404 \{"error":"No book 42"\}\nDELETE /books/2 +405 405: Method Not Allowed$'
        ),
        "close-servers": "[ 0, false ]",
        "solution-put": matches(r'^PUT /books/1 -> 200 .*\nGET /books/1 -> 200 \{"id":1,"title":"Fluent Python, 2nd edition".*\nPUT /books/77 -> 404 \{"error":"No book 77"\}$'),
        "solution-authors": "[ 'Fluent Python, 2nd edition', 'Using Asyncio in Python' ]",
        "solution-middleware": matches(r'^/books/1 -> 200 .*\n/books/42 -> 404 \{"error":"Not Found"\}\n/nope -> 404 \{"error":"Not Found"\}$'),
    },
    # Benchmarks: only the shape of the results (a rate above 0, no errors, a chart), never a speed.
    "12-benchmarks": {
        "machine": matches(r"the class: wrk -t12 -c400 -d30s; here: wrk -t\d+ -c50 -d2s$"),
        "servers-check": matches(r"'low-level \(lesson 10\)': 200,\s+'aiorest \(lesson 11\)': 200,\s+'web \(lesson 11\)': 200,\s+'node:http': 200"),
        "warm-up-run": matches(r"^'4 servers warmed up in \d+\.\d s'$"),
        "autocannon-all": matches(
            r"^low-level \(lesson 10\): [1-9][\d,]* req/s, latency p50 [\d.]+ ms, p99 [\d.]+ ms, 0 errors \(autocannon\)\n"
            r"aiorest \(lesson 11\): [1-9][\d,]* req/s, .*, 0 errors \(autocannon\)\n"
            r"web \(lesson 11\): [1-9][\d,]* req/s, .*, 0 errors \(autocannon\)\n"
            r"node:http: [1-9][\d,]* req/s, .*, 0 errors \(autocannon\)$"
        ),
        "wrk-run": matches(r"(Requests/sec: +[1-9][\d.]*.*\nnode:http: [1-9][\d,]* req/s, .* \(wrk\)$|^wrk is not installed here)"),
        "bar-chart": mime("image/svg+xml"),
        "close-servers": "[ false, false, false ]",
        "solution-pipelining": matches(r"pipelining 1: [1-9][\d,]* req/s.*\npipelining 10: [1-9][\d,]* req/s"),
        "solution-connections": mime("image/svg+xml"),
        "solution-slow-handler": matches(r"10 ms handler: [1-9][\d,]* req/s.*\nat most 5,000 req/s in theory$"),
    },
    "13-resources": {
        "async-await-demo": "[ 9, 16 ]",
        "asyncio-run-demo": stdout("main runs on a loop of its own: true\nasyncio.run returned \"main's result\" and closed its loop"),
        "task-group-demo": "[ 'first', 'second' ]",
        "task-group-failure": matches(
            r"^the sibling was told: CancelledError\nExceptionGroup: unhandled errors in a TaskGroup \(1 sub-exception\)\n"
            r"\[ 'Error: the first task failed' \]$"
        ),
        "timeout-demo": "[ 'connect', 'ask', 'TimeoutError' ]",
        "barrier-demo": matches(r"^\[\s+'cat is ready',\s+'ant is ready',\s+'bee is ready',(\s+'\w+ runs',){2}\s+'\w+ runs'\s+\]$"),
        "queue-shutdown-demo": "[ 2, 6 ]",
        "solution-gather-vs-group": matches(
            r"^gather threw Error: gather: failing failed, and left the slow worker running\ngather: slow finished\n"
            r"the group threw Error: group: failing failed, after cancelling the slow worker$"
        ),
        "solution-deadline": "[ '3 pages before the deadline', '10 pages, no deadline hit' ]",
        "solution-pipeline": "[ 1, 4, 9, 16, 25 ]",
    },
}


# --- Every heading of the deck, in the deck's order, and where it is taught --------------------
@dataclass(frozen=True)
class Pending:
    notebook: str


def pending(notebook):
    """A heading whose notebook is not written yet: its test is an expected failure that says so."""
    return Pending(notebook)


# (heading as the deck writes it, notebook, cell id) or (heading, pending("NN-name"), None).
# A pending heading is reported as an expected failure ("pending: ..."), and fails outright
# once its notebook exists, until the row names the cell that teaches it.
# Headings the deck repeats (three "Coroutines") are told apart by their place in the order.
DECK = [
    ("Preface", "00-welcome", "setup"),
    ("Concepts", "00-welcome", "concepts"),
    ('Back to basics: "yield" (1)', "01-generators", "yield-1"),
    ('Back to basics: "yield" (2)', "01-generators", "yield-2"),
    ('asyncio uses "yield from"', "02-yield-star", "asyncio-uses-yield-from"),
    ('Source code of "yield from"', "02-yield-star", "expansion"),
    ("In a generator / coroutine code", "02-yield-star", "return-value"),
    ("AsyncIO Debug", "03-event-loop", "debug"),
    ("Event Loops", "03-event-loop", "event-loops"),
    ("Coroutines", "04-coroutines", "coroutines"),
    ("More Coroutine Fun Facts", "04-coroutines", "fun-facts"),
    ("Coroutines", "04-coroutines", "why-coroutines"),
    ("Futures in asyncio", "05-futures", "futures-in-asyncio"),
    ("Future exercise", "05-futures", "future-exercise"),
    ("Futures Eventually Have A Result", "05-futures", "eventually"),
    ("Tasks are a kind of Future", "06-tasks", "tasks-are-futures"),
    ("You start a coroutine running with a Task", "06-tasks", "start-with-task"),
    ("Creating a task", "06-tasks", "creating-a-task"),
    ("Transports", "07-transports-protocols", "transports"),
    ("Protocols", "07-transports-protocols", "protocols"),
    ("Transports vs. Protocols", "07-transports-protocols", "transports-vs-protocols"),
    ("Implementing a Protocol", "07-transports-protocols", "implementing-a-protocol"),
    ("Let's Make an Echo Server", "07-transports-protocols", "echo-server"),
    ("Creating The Server", "07-transports-protocols", "creating-the-server"),
    ("Making the connection", "07-transports-protocols", "making-the-connection"),
    ("Receiving Data", "07-transports-protocols", "receiving-data"),
    ("Closing the connection", "07-transports-protocols", "closing-the-connection"),
    ("Test it out", "07-transports-protocols", "test-it-out"),
    ("Using Tasks", "08-streams", "using-tasks"),
    ("Callbacks for futures and tasks", "08-streams", "callbacks-for-futures-and-tasks"),
    ("Task callback example", "06-tasks", "task-callback-example"),
    ("Helper function: asyncio.start_server", "08-streams", "start-server"),
    ("Simple Callback Server", "08-streams", "simple-callback-server"),
    ("Echoing action", "08-streams", "echoing-action"),
    ("Scheduling The Task", "08-streams", "scheduling-the-task"),
    ("aiohttp: Client", "09-http-client", "aiohttp-client"),
    ("aiohttp: Basic server", "10-http-server", "basic-server"),
    ("aiohttp: Complete server", "10-http-server", "complete-server"),
    ("aiohttp: multi-process server", "10-http-server", "multi-process-server"),
    ("aiorest: example", "11-rest", "aiorest-example"),
    ("Benchmarks with wrk", "12-benchmarks", "benchmarks-with-wrk"),
    ("Thank you!", "13-resources", "thank-you"),
    # The deck's last sections sit in a comment block (////); they are taught all the same.
    ("Why Separate them?", "07-transports-protocols", "why-separate"),
    ("More Advanced Background", "13-resources", "advanced-background"),
    ("Resources", "13-resources", "resources"),
    ("Example", "08-streams", "transfer-data"),
    ("Coroutines", "04-coroutines", "return-or-throw"),
]

DECK_FILE_CANDIDATES = [ROOT.parent / "shared" / "seed" / "using-asyncio-in-python-3.4.asciidoc"]


# --- Helpers ----------------------------------------------------------------------------------
NOTEBOOKS = [p.stem for p in notebook_paths()]
# Descriptive ids: lower-case words joined by hyphens (repl-done, echo-server-start), not the
# random ids JupyterLab gives new cells.
CELL_ID = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")
RANDOM_LOOKING = re.compile(r"(^|-)[0-9a-f]{8,}($|-)")
CALLOUT = "> **JavaScript is not Python:**"
PREDICT = "**Predict:**"
TRY = "**Try:**"
IMAGE_REF = re.compile(r"!\[[^\]]*\]\(([^)\s]+)[^)]*\)|<img[^>]*\ssrc=\"([^\"]+)\"")


def load(name):
    return nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=nbformat.NO_CONVERT)


def source(cell):
    return cell.source if isinstance(cell.source, str) else "".join(cell.source)


def cell_label(index, cell):
    return f"cell {index} ({cell.get('id', '?')})"


# --- The notebooks as files -------------------------------------------------------------------
def test_the_notebooks_are_the_lessons():
    unknown = [n for n in NOTEBOOKS if n not in LESSONS]
    assert unknown == [], f"notebooks not in the course's list (lessons.py LESSONS): {unknown}"
    assert NOTEBOOKS, "no lesson notebooks in notebooks/"


def test_the_readme_gives_the_learning_path_of_every_lesson():
    readme = (NOTEBOOK_DIR / "README.md").read_text()
    missing = [n for n in LESSONS if n not in readme]
    assert missing == [], f"notebooks/README.md does not describe {missing}"
    assert "## How these notebooks are made" in readme


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_valid_nbformat_4_5_with_the_asyncio_ts_kernelspec(name):
    raw = json.loads((NOTEBOOK_DIR / f"{name}.ipynb").read_text())
    assert (raw["nbformat"], raw["nbformat_minor"] >= 5) == (4, True), "nbformat 4.5 or later (cell ids)"
    nb = load(name)
    nbformat.validate(nb)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    ids = [c.get("id") for c in nb.cells]
    assert len(set(ids)) == len(ids), "cell ids are unique"
    bad = [i for i in ids if i is None or not CELL_ID.match(i) or RANDOM_LOOKING.search(i)]
    assert bad == [], f"cell ids must be stable and descriptive (lower-case words and hyphens): {bad}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_committed_without_outputs(name):
    nb = load(name)
    dirty = [
        cell_label(i, c)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code" and (c.get("outputs") or c.get("execution_count") is not None or "execution" in c.metadata)
    ]
    assert dirty == [], f"outputs, execution counts or timings committed in {dirty}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_cell_has_slide_metadata(name):
    nb = load(name)
    missing = [cell_label(i, c) for i, c in enumerate(nb.cells) if c.metadata.get("slideshow", {}).get("slide_type") not in SLIDE_TYPES]
    assert missing == [], f"no metadata.slideshow.slide_type in {missing}"
    assert nb.cells[0].metadata["slideshow"]["slide_type"] == "slide", "the first cell opens a slide"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opens_with_what_the_learner_will_do_and_ends_with_further_reading(name):
    nb = load(name)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and source(first).startswith("# "), "the first cell is the title (# ...)"
    opening = " ".join(source(c) for c in nb.cells[:3] if c.cell_type == "markdown")
    assert "able to" in opening, "the opening says what the learner will be able to do"
    assert any(re.search(r"^#+ Further reading", source(c), re.M) for c in nb.cells if c.cell_type == "markdown"), "a 'Further reading' section"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_exercises_are_followed_by_collapsed_solutions(name):
    nb = load(name)
    cells = nb.cells
    exercises = 0
    for i, cell in enumerate(cells):
        t = tags(cell)
        if "exercise" in t and "solution" in t:
            pytest.fail(f"{cell_label(i, cell)} is tagged both exercise and solution")
        if "exercise" in t and (i == 0 or "exercise" not in tags(cells[i - 1])):
            exercises += 1
        if "exercise" in t:
            # An exercise may take several cells (the question, a cell to start from); the first
            # cell after them is its solution.
            nxt = next((c for c in cells[i + 1 :] if "exercise" not in tags(c)), None)
            assert nxt is not None and "solution" in tags(nxt), f"{cell_label(i, cell)}: an exercise is followed by a cell tagged solution"
        if "solution" in t:
            assert cell.metadata.get("jupyter", {}).get("source_hidden") is True, f"{cell_label(i, cell)}: a solution is collapsed (metadata.jupyter.source_hidden)"
            assert i > 0 and ({"exercise", "solution"} & set(tags(cells[i - 1]))), f"{cell_label(i, cell)}: a solution follows its exercise"
    assert 2 <= exercises <= 4, f"2-4 exercises, found {exercises}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_callouts_and_predictions_follow_the_conventions(name):
    nb = load(name)
    cells = nb.cells
    assert any(c.cell_type == "markdown" and source(c).startswith(CALLOUT) for c in cells), f"at least one '{CALLOUT}' callout"
    assert any(c.cell_type == "markdown" and TRY in source(c) for c in cells), f"something to try: at least one {TRY} in a Markdown cell"
    for i, cell in enumerate(cells):
        text = source(cell)
        if CALLOUT.strip("> ") in text and cell.cell_type == "markdown":
            assert text.startswith(CALLOUT), f"{cell_label(i, cell)}: the callout is a cell of its own, starting '{CALLOUT}'"
        if cell.cell_type == "markdown" and text.startswith(PREDICT):
            assert i + 1 < len(cells) and cells[i + 1].cell_type == "code", f"{cell_label(i, cell)}: a prediction comes right before the code cell that answers it"
        if "raises-exception" in tags(cell):
            assert cell.cell_type == "code", f"{cell_label(i, cell)}: only code cells are tagged raises-exception"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_pictures_are_our_own_svgs_next_to_the_notebooks(name):
    nb = load(name)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        for m in IMAGE_REF.finditer(source(cell)):
            ref = m.group(1) or m.group(2)
            assert not re.match(r"^[a-z]+:", ref), f"{cell_label(i, cell)}: {ref} is a relative path into images/, not a URL"
            assert ref.startswith("images/") and ref.endswith(".svg"), f"{cell_label(i, cell)}: pictures are SVGs in images/ ({ref})"
            path = NOTEBOOK_DIR / ref
            assert path.is_file(), f"{cell_label(i, cell)}: {ref} is missing"
            ET.parse(path)  # well-formed XML


def test_every_picture_is_well_formed_svg():
    for path in sorted((NOTEBOOK_DIR / "images").glob("*.svg")) if (NOTEBOOK_DIR / "images").is_dir() else []:
        root = ET.parse(path).getroot()
        assert root.tag.endswith("svg"), f"{path.name} is an SVG"
        assert root.get("viewBox"), f"{path.name} has a viewBox, so it scales"


# --- The notebooks run ------------------------------------------------------------------------
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_runs_top_to_bottom_without_an_error(name):
    run = run_notebook(name)
    problems = []
    for i, cell in enumerate(run.nb.cells):
        if cell.cell_type != "code":
            continue
        errs = errors(cell)
        if "raises-exception" in tags(cell):
            if not errs:
                problems.append(f"{cell_label(i, cell)} is tagged raises-exception but did not fail")
        elif errs:
            tb = ANSI.sub("", "\n".join(errs[0].get("traceback", [])))
            problems.append(f"{cell_label(i, cell)} failed: {errs[0].ename}: {errs[0].evalue}\n{tb}")
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_leaves_no_server_or_connection_open(name):
    run = run_notebook(name)
    assert run.left_open == [], f"still open after the last cell (every server a lesson starts is closed at its end): {run.left_open}"


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_shows_its_key_outputs(name):
    expected = EXPECTED.get(name)
    assert expected, f"EXPECTED has no key outputs for {name}"
    run = run_notebook(name)
    failures = []
    for cell_id, want in expected.items():
        try:
            cell = run.cell(cell_id)
            (result(want) if isinstance(want, str) else want).check(cell)
        except (AssertionError, KeyError) as e:
            failures.append(f"{cell_id}: {e}")
    assert failures == [], "\n".join(failures)


def test_expected_outputs_name_existing_notebooks():
    assert sorted(set(EXPECTED) - set(NOTEBOOKS)) == []


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_becomes_a_slide_deck(name, tmp_path):
    run = run_notebook(name)
    executed = tmp_path / f"{name}.ipynb"
    nbformat.write(run.nb, executed)
    r = subprocess.run(
        [sys.executable, "-m", "nbconvert", "--to", "slides", "--output-dir", str(tmp_path / "slides"), str(executed)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    html = (tmp_path / "slides" / f"{name}.slides.html").read_text()
    assert html.count("<section") >= 2, "the deck has more than one slide"


# --- Every heading of the deck is taught ------------------------------------------------------
def test_the_deck_table_lists_every_heading_of_the_deck():
    deck = next((p for p in DECK_FILE_CANDIDATES if p.is_file()), None)
    if deck is None:
        pytest.skip("the class's deck is not next to this checkout (../shared/seed/)")
    headings = [m.group(1).strip() for m in re.finditer(r"^== (.+)$", deck.read_text(encoding="utf-8", errors="replace"), re.M)]
    assert [h for h, _, _ in DECK] == headings


def _deck_params():
    for index, (heading, notebook, cell_id) in enumerate(DECK):
        yield pytest.param(heading, notebook, cell_id, id=f"{index:02d}-{heading}")


@pytest.mark.parametrize("heading,notebook,cell_id", list(_deck_params()))
def test_deck_heading_is_taught(heading, notebook, cell_id):
    if isinstance(notebook, Pending):
        assert notebook.notebook in LESSONS
        assert not (NOTEBOOK_DIR / f"{notebook.notebook}.ipynb").is_file(), (
            f"{heading!r}: {notebook.notebook} exists now; name the cell that teaches this heading in DECK"
        )
        pytest.xfail(f"pending: {notebook.notebook} is not written yet, so nothing teaches {heading!r}")
    assert notebook in LESSONS
    assert (NOTEBOOK_DIR / f"{notebook}.ipynb").is_file(), f"{heading!r}: {notebook} does not exist"
    ids = [c.get("id") for c in load(notebook).cells]
    assert cell_id in ids, f"{heading!r}: {notebook} has no cell {cell_id!r}"
