"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""
import socket
import threading
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class MailServer:
    """Start, stop and start again on the same port; `messages` survives restarts. With
    `login` (user, password) it takes mail only after AUTH; with `tls_context`, only after
    STARTTLS."""

    def __init__(self, login: tuple[str, str] | None = None, tls_context=None):
        self.login = login
        self.tls_context = tls_context
        self.port = free_port()
        self.messages: list[EmailMessage] = []
        self.recipients: list[str] = []  # every RCPT TO
        self._lock = threading.Lock()
        self._controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(message)
            self.recipients.extend(envelope.rcpt_tos)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        accepted = isinstance(auth_data, LoginPassword) and self.login == (
            auth_data.login.decode(), auth_data.password.decode())
        # handled=False: only then does aiosmtpd answer a refusal itself (535).
        return AuthResult(success=accepted, handled=False)

    def start(self) -> None:
        options = {}
        if self.login:
            options.update(authenticator=self.authenticate, auth_required=True,
                           auth_require_tls=self.tls_context is not None)
        if self.tls_context:
            options.update(tls_context=self.tls_context, require_starttls=True)
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.messages]
