"""A kernel that runs nothing: the kernel benchmark's calibration row ("client floor"). It speaks
the Jupyter protocol with jupyter_client's own Session and answers every request at once, so its
round trip is what the client, the wire format and ZeroMQ cost without any kernel work.

An execute_request is answered as a cell would be: busy, execute_input, then a stream output
for `console.log('TEXT')` / `print('TEXT')` (the text between the quotes) or an execute_result
holding the code itself, then idle and the execute_reply.

    python null_kernel.py -f CONNECTION_FILE
"""

import json
import re
import signal
import sys
import threading

import zmq
from jupyter_client.session import Session

PRINT = re.compile(r"""^(?:console\.log|print)\(['"](.*)['"]\)$""")


def main(argv):
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # jupyter_client interrupts before it shuts down
    with open(argv[argv.index("-f") + 1]) as f:
        info = json.load(f)
    url = f"{info['transport']}://{info['ip']}:"
    session = Session(key=info["key"].encode(), signature_scheme=info["signature_scheme"])
    ctx = zmq.Context()
    shell = ctx.socket(zmq.ROUTER)
    shell.bind(url + str(info["shell_port"]))
    control = ctx.socket(zmq.ROUTER)
    control.bind(url + str(info["control_port"]))
    stdin = ctx.socket(zmq.ROUTER)
    stdin.bind(url + str(info["stdin_port"]))
    iopub = ctx.socket(zmq.PUB)
    iopub.bind(url + str(info["iopub_port"]))
    hb = ctx.socket(zmq.ROUTER)  # echoes every ping, as ipykernel's heartbeat does
    hb.bind(url + str(info["hb_port"]))
    threading.Thread(target=lambda: zmq.device(zmq.QUEUE, hb, hb), daemon=True).start()

    count = 0
    poller = zmq.Poller()
    poller.register(shell, zmq.POLLIN)
    poller.register(control, zmq.POLLIN)
    while True:
        for sock, _ in poller.poll():
            idents, msg = session.recv(sock, mode=0)
            t = msg["header"]["msg_type"]
            session.send(iopub, "status", {"execution_state": "busy"}, parent=msg)
            if t == "kernel_info_request":
                session.send(sock, "kernel_info_reply", {
                    "status": "ok", "protocol_version": "5.3", "implementation": "null", "implementation_version": "0",
                    "language_info": {"name": "text"}, "banner": "", "help_links": [],
                }, parent=msg, ident=idents)
            elif t == "execute_request":
                count += 1
                code = msg["content"]["code"]
                session.send(iopub, "execute_input", {"code": code, "execution_count": count}, parent=msg)
                m = PRINT.match(code)
                if m:
                    session.send(iopub, "stream", {"name": "stdout", "text": m.group(1) + "\n"}, parent=msg)
                else:
                    session.send(iopub, "execute_result", {"execution_count": count, "data": {"text/plain": code}, "metadata": {}}, parent=msg)
                session.send(iopub, "status", {"execution_state": "idle"}, parent=msg)
                session.send(sock, "execute_reply", {"status": "ok", "execution_count": count, "user_expressions": {}, "payload": []}, parent=msg, ident=idents)
                continue
            elif t == "shutdown_request":
                session.send(sock, "shutdown_reply", {"status": "ok", "restart": False}, parent=msg, ident=idents)
                session.send(iopub, "status", {"execution_state": "idle"}, parent=msg)
                return 0
            else:
                session.send(sock, t.replace("_request", "_reply"), {"status": "ok"}, parent=msg, ident=idents)
            session.send(iopub, "status", {"execution_state": "idle"}, parent=msg)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
