#!/usr/bin/env python3
"""A syslog receiver over TLS (RFC 5425 octet-counted frames), standing in for an IHE ATNA audit repository.

Usage: syslog_tls_receiver.py PORT CERT.pem KEY.pem OUT.jsonl
Accepts connections on 127.0.0.1:PORT and appends each received syslog message to OUT.jsonl as a JSON string.
Python's ssl module does the TLS; the framing (MSG-LEN SP SYSLOG-MSG) is parsed here.
"""
import json
import socket
import ssl
import sys
import threading


def serve(conn: ssl.SSLSocket, out: str, lock: threading.Lock) -> None:
    buf = b""
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                return
            buf += data
            while b" " in buf:
                head, rest = buf.split(b" ", 1)
                if not head.isdigit():
                    print(f"bad frame header {head[:20]!r}", file=sys.stderr)
                    return
                n = int(head)
                if len(rest) < n:
                    break
                msg, buf = rest[:n], rest[n:]
                with lock, open(out, "a", encoding="utf-8") as f:
                    f.write(json.dumps(msg.decode("utf-8")) + "\n")


def main() -> None:
    port, cert, key, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    lock = threading.Lock()
    with socket.create_server(("127.0.0.1", port)) as s:
        while True:
            c, _ = s.accept()
            try:
                t = ctx.wrap_socket(c, server_side=True)
            except ssl.SSLError as e:
                print(f"TLS handshake failed: {e}", file=sys.stderr)
                continue
            threading.Thread(target=serve, args=(t, out, lock), daemon=True).start()


if __name__ == "__main__":
    main()
