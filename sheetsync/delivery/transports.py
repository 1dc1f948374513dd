"""Where a rendered mail goes: `outbox` writes .eml files (the default, the demo's), `smtp`
talks to a real server, with a watchdog bounding the whole mail step."""

from __future__ import annotations

import contextlib
import itertools
import os
import smtplib
import socket
import ssl
import threading
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sheetsync.settings_sections import EmailSettings


class OutboxTransport:
    """Each message as an .eml file in a folder: open it with any mail program."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)

    def __enter__(self) -> OutboxTransport:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, message: EmailMessage, name: str) -> None:
        """The message as `name`.eml, or `name`-2.eml, -3 ... where a different mail has that
        name: several workbooks in one folder share its outbox, and the same people's
        digests of the same day must not overwrite each other's. Each file appears whole
        (written aside, then linked in, which never replaces a file); the same mail again
        stays one file."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
        data = bytes(message)
        temp = self.folder / f".{safe}.{os.getpid()}.{threading.get_ident()}.eml.tmp"
        temp.write_bytes(data)
        try:
            for n in itertools.count(1):
                path = self.folder / (f"{safe}.eml" if n == 1 else f"{safe}-{n}.eml")
                if _placed(temp, path, data):
                    return
        finally:
            temp.unlink(missing_ok=True)


def _placed(temp: Path, path: Path, data: bytes) -> bool:
    """Whether the mail `data` (written at `temp`) is now at `path`: linked there, or found
    there already. False when another mail holds the name. Where the file system has no
    links, the name is taken by an exclusive create instead."""
    try:
        os.link(temp, path)
        return True
    except FileExistsError:
        pass
    except OSError:  # no hard links here (some network and FAT file systems)
        try:
            with path.open("xb") as file:
                file.write(data)
            return True
        except FileExistsError:
            pass
    try:
        return path.read_bytes() == data
    except OSError:
        return False


class Watchdog:
    """Cuts the SMTP connection when the mail step's deadline passes. A socket timeout only
    bounds one read, so a server that trickles a greeting that never ends would otherwise
    hold the run (and the sheet's write) for as long as it likes."""

    def __init__(self, seconds: float) -> None:
        self.lock = threading.Lock()
        self.expired = self.stopped = False
        self.guard: socket.socket | None = None  # a duplicate of the connection's socket
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.daemon = True
        self.timer.start()

    def watch(self, sock: socket.socket) -> socket.socket:
        """Called with each new TCP socket, before any TLS handshake on it."""
        with self.lock:
            if self.expired:
                sock.close()
                raise TimeoutError("the mail deadline has passed")
            self.guard = sock.dup()  # stays usable when smtplib wraps or closes its own
        return sock

    def _expire(self) -> None:
        with self.lock:
            if self.stopped:
                return
            self.expired = True
            if self.guard is not None:
                with contextlib.suppress(OSError):
                    self.guard.shutdown(socket.SHUT_RDWR)  # a blocked read returns at once

    def stop(self) -> None:
        self.timer.cancel()
        with self.lock:
            self.stopped = True
            if self.guard is not None:
                self.guard.close()


class _Watched(smtplib.SMTP):
    """smtplib telling the watchdog about the socket it opens."""

    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any) -> None:
        self.watchdog = watchdog
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        # smtplib's own hook for the socket it connects (typeshed leaves the private one out)
        return self.watchdog.watch(super()._get_socket(host, port, timeout))  # type: ignore[misc]


class _WatchedSsl(smtplib.SMTP_SSL, _Watched):
    def __init__(self, *args: Any, watchdog: Watchdog, **kwargs: Any) -> None:
        self.watchdog = watchdog
        smtplib.SMTP_SSL.__init__(self, *args, **kwargs)


class SmtpTransport:
    """A real SMTP server: STARTTLS or SSL, optional login; the password never leaves here.
    `timeout` bounds each network step, `deadline` the whole session."""

    def __init__(self, settings: EmailSettings) -> None:
        self.settings = settings
        self.conn: smtplib.SMTP | None = None
        self.watchdog: Watchdog | None = None

    @property
    def expired(self) -> bool:
        return self.watchdog is not None and self.watchdog.expired

    def __enter__(self) -> SmtpTransport:
        self.watchdog = watchdog = Watchdog(self.settings.smtp.deadline)
        try:
            self._open(watchdog)
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self, watchdog: Watchdog) -> None:
        s, context = self.settings.smtp, ssl.create_default_context()
        if s.security == "ssl":
            self.conn = _WatchedSsl(
                s.host, s.port, timeout=s.timeout, context=context, watchdog=watchdog
            )
        else:
            self.conn = _Watched(s.host, s.port, timeout=s.timeout, watchdog=watchdog)
            if s.security == "starttls":
                self.conn.starttls(context=context)
        if s.username:
            self.conn.login(s.username, self.settings.password())

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except (smtplib.SMTPException, OSError):
                self.conn.close()
        self.conn = None
        if self.watchdog is not None:  # always, after __enter__
            self.watchdog.stop()

    def send(self, message: EmailMessage, name: str) -> None:
        assert self.conn is not None, "send inside `with transport:` only"
        self.conn.send_message(message)


def transport_for(settings: EmailSettings):
    if settings.transport == "smtp":
        return SmtpTransport(settings)
    return OutboxTransport(settings.outbox)
