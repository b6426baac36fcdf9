"""A tiny SMTP server on loopback that keeps every message it is given, for
the notification hook's tests (Python 3.11 has no smtpd; standard library
asyncio only).

It speaks what an SMTP client needs: a greeting, EHLO/HELO, MAIL, RCPT,
DATA (dot-unstuffed), RSET, NOOP, QUIT. `reject = True` answers MAIL with a
temporary failure (451), as a full or restarting MTA does; `hang = True`
accepts connections and never greets, as a wedged one does.
"""

import asyncio
import email
import email.policy
import threading
import time


class SmtpSink:
    def __init__(self):
        self.messages = []      # (envelope sender, [recipients], email.message.EmailMessage)
        self.attempts = 0       # MAIL commands seen, refused or not
        self.reject = False
        self.hang = False
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("SMTP sink did not start")

    @property
    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def _run(self):
        asyncio.set_event_loop(self._loop)
        self._server = self._loop.run_until_complete(
            asyncio.start_server(self._session, "127.0.0.1", 0))
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _session(self, reader, writer):
        try:
            if self.hang:
                await asyncio.sleep(3600)
                return
            await self._dialogue(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def _dialogue(self, reader, writer):
        def say(line):
            writer.write(line.encode() + b"\r\n")

        say("220 sink ESMTP")
        sender, rcpts = None, []
        while True:
            line = await reader.readline()
            if not line:
                return
            verb = line.decode("utf-8", "replace").strip()
            word = verb.split(" ", 1)[0].upper()
            if word in ("EHLO", "HELO"):
                say("250-sink" if word == "EHLO" else "250 sink")
                if word == "EHLO":
                    say("250 8BITMIME")
            elif word == "MAIL":
                with self._cond:
                    self.attempts += 1
                    self._cond.notify_all()
                if self.reject:
                    say("451 4.3.0 try again later")
                    continue
                sender, rcpts = verb[len("MAIL FROM:"):].strip(), []
                say("250 OK")
            elif word == "RCPT":
                rcpts.append(verb[len("RCPT TO:"):].strip().strip("<>"))
                say("250 OK")
            elif word == "DATA":
                say("354 go ahead")
                await writer.drain()
                data = await reader.readuntil(b"\r\n.\r\n")
                lines = data[:-5].split(b"\r\n")
                body = b"\r\n".join(l[1:] if l.startswith(b".") else l for l in lines)
                msg = email.message_from_bytes(body, policy=email.policy.default)
                with self._cond:
                    self.messages.append((sender, rcpts, msg))
                    self._cond.notify_all()
                say("250 OK queued")
            elif word == "QUIT":
                say("221 bye")
                await writer.drain()
                return
            elif word in ("RSET", "NOOP"):
                say("250 OK")
            else:
                say("502 not implemented")
            await writer.drain()

    def wait(self, predicate, timeout=20.0):
        """The first message m with predicate(m) (sender, rcpts, msg), waiting up to timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for m in self.messages:
                    if predicate(m):
                        return m
                left = deadline - time.monotonic()
                if left <= 0:
                    return None
                self._cond.wait(left)

    def wait_attempts(self, n, timeout=20.0):
        deadline = time.monotonic() + timeout
        with self._cond:
            while self.attempts < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def sent_to(self, address, event=None):
        with self._cond:
            return [m for m in self.messages if address in m[1]
                    and (event is None or m[2]["X-Overwatch-Event"] == event)]

    def stop(self):
        def close():
            self._server.close()
            for task in asyncio.all_tasks(self._loop):
                task.cancel()
            self._loop.call_later(0.2, self._loop.stop)
        self._loop.call_soon_threadsafe(close)
        self._thread.join(10)
