"""The clearinghouse mailbox: an SFTP server (paramiko), or a local folder standing in for one.

Both do the same things, so that the exchange does not care which it talks to: list the
inbound files, download one (whole or not at all), upload one (written under a temporary name,
`part_name`, and renamed, so the clearinghouse never picks up half a file; `placed` is called
between the two), read back an upload (its size and, where the server lets it be read, its
bytes) or tell whether its temporary copy is there, and move a file it has processed to the
archive folder.

Secrets stay secret: a password is read from the environment variable or the file the
configuration names, never from the configuration itself, and no message shows it. The server's
host key must be known (known_hosts): an unknown server is refused, not trusted.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from ptbill.config.profiles import Clearinghouse


class MailboxError(Exception):
    """The mailbox cannot be reached or a transfer failed (a clear, secret-free message)."""


class FileChanged(MailboxError):
    """A file downloaded was not the file listed: the server was still writing it."""


class FileGone(FileChanged):
    """A file listed was no longer there to download or archive (moved by another run at the
    same time, or by the server)."""

    def __init__(self, f: RemoteFile) -> None:
        super().__init__(f"{f.path} is no longer in the mailbox: it was moved since it was listed")


@dataclass(frozen=True, slots=True)
class RemoteFile:
    folder: str
    name: str  # as said and stored: a name not in UTF-8 shows U+FFFD for its bad bytes
    size: int
    raw: bytes = b""  # such a name's own bytes, which reach the file

    @property
    def path(self) -> str:
        return posixpath.join(self.folder, self.name)


def _file(folder: str, raw: bytes, size: int) -> RemoteFile:
    """The file named `raw` (a Latin-1 name from a Windows system is not UTF-8: it is shown
    with U+FFFD, which the database takes, and reached by its bytes)."""
    name = raw.decode("utf-8", errors="replace")
    return RemoteFile(folder, name, size, b"" if name.encode() == raw else raw)


class Mailbox(Protocol):
    def inbound(self) -> list[RemoteFile]: ...

    def download(self, f: RemoteFile, local: Path) -> None: ...

    def upload(self, name: str, data: bytes, placed: Callable[[], None]) -> str: ...

    def exists(self, name: str) -> bool: ...

    def outbound_file(self, name: str) -> tuple[int, bytes | None] | None: ...

    def archive(self, f: RemoteFile) -> str | None: ...

    def close(self) -> None: ...


def _taken(name: str, patterns: tuple[str, ...]) -> bool:
    """A file the patterns take, whatever the case of its name (ERA.X12 and era.x12 alike);
    never a hidden one (a `.NAME.part` being uploaded)."""
    folded = name.lower()
    return not name.startswith(".") and any(
        fnmatch.fnmatchcase(folded, p.lower()) for p in patterns
    )


class LocalMailbox:
    """A folder laid out as the server would be: the outbound, inbound and archive folders
    under `root` (the simulated payer works the other side of it)."""

    def __init__(self, house: Clearinghouse, root: Path) -> None:
        self.house, self.root = house, root
        for folder in (house.outbound, *house.inbound, house.archive):
            if folder:
                (root / folder.strip("/")).mkdir(parents=True, exist_ok=True)

    def _dir(self, folder: str) -> Path:
        return self.root / folder.strip("/")

    def inbound(self) -> list[RemoteFile]:
        out = []
        for folder in self.house.inbound:
            for entry in sorted(self._dir(folder).iterdir()):
                f = _file(folder, os.fsencode(entry.name), 0)
                if entry.is_file() and _taken(f.name, self.house.patterns):
                    out.append(RemoteFile(f.folder, f.name, entry.stat().st_size, f.raw))
        return out

    def _at(self, f: RemoteFile) -> Path:
        return self._dir(f.folder) / (os.fsdecode(f.raw) if f.raw else f.name)

    def download(self, f: RemoteFile, local: Path) -> None:
        try:
            with open(self._at(f), "rb") as source:
                data = source.read(f.size + 1)  # no more: a file grown since it was listed
        except FileNotFoundError:
            raise FileGone(f) from None
        except OSError as e:
            raise MailboxError(f"cannot read {f.path}: {e.strerror}") from None
        if len(data) != f.size:
            raise FileChanged(_changed(f, len(data)))
        _write_whole(local, data)

    def upload(self, name: str, data: bytes, placed: Callable[[], None]) -> str:
        target = self._dir(self.house.outbound) / name
        tmp = target.with_name(part_name(name))
        tmp.write_bytes(data)
        placed()
        os.replace(tmp, target)
        return posixpath.join(self.house.outbound, name)

    def exists(self, name: str) -> bool:
        return (self._dir(self.house.outbound) / name).exists()

    def outbound_file(self, name: str) -> tuple[int, bytes | None] | None:
        path = self._dir(self.house.outbound) / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            return None
        except OSError as e:
            raise MailboxError(f"cannot look into {self.house.outbound}: {e.strerror}") from None
        try:
            return size, path.read_bytes()
        except PermissionError:
            return size, None
        except OSError as e:
            raise MailboxError(f"cannot read {self.house.outbound}/{name}: {e.strerror}") from None

    def archive(self, f: RemoteFile) -> str | None:
        if not self.house.archive:
            return None
        folder = self._dir(self.house.archive)
        target = _free_name(f.name, lambda n: (folder / n).exists())
        try:
            os.replace(self._at(f), folder / target)
        except OSError as e:
            if not self._at(f).exists():
                raise FileGone(f) from None
            raise MailboxError(f"cannot archive {f.path}: {e.strerror}") from None
        return posixpath.join(self.house.archive, target)

    def close(self) -> None:
        return None


_CHUNK = 32768


def _changed(f: RemoteFile, got: int) -> str:
    return (
        f"{f.path} changed while it was downloaded ({f.size:,} bytes listed, "
        f"{'more than that' if got > f.size else f'{got:,}'} read): the server is still writing it"
    )


def part_name(name: str) -> str:
    """The hidden name a file is written under before it is renamed to `name`."""
    return f".{name}.part"


def _write_whole(target: Path, data: bytes) -> None:
    tmp = target.with_name(part_name(target.name))
    tmp.write_bytes(data)
    os.replace(tmp, target)


def _free_name(name: str, taken: Callable[[str], bool]) -> str:
    candidate, n = name, 1
    while taken(candidate):
        n += 1
        candidate = f"{name}.{n}"
    return candidate


def password_of(house: Clearinghouse) -> str | None:
    """The password the configuration points to (environment variable or file), if any."""
    if house.password_env:
        value = os.environ.get(house.password_env)
        if value is None:
            raise MailboxError(
                f"the environment variable {house.password_env} (password_env) is not set"
            )
        return value
    if house.password_file:
        try:
            return Path(house.password_file).expanduser().read_text(encoding="utf-8").strip()
        except OSError as e:
            raise MailboxError(
                f"cannot read the password file {house.password_file}: {e.strerror}"
            ) from None
    return None


class SftpMailbox:
    """The clearinghouse's SFTP server. `hook(event, nbytes)` is called as bytes move (the
    tests use it to drop the connection mid-transfer)."""

    def __init__(
        self, house: Clearinghouse, hook: Callable[[str, int], None] | None = None
    ) -> None:
        import paramiko

        self.house, self.hook = house, hook
        self._paramiko = paramiko
        where = f"{house.user}@{house.host}:{house.port}"
        client = paramiko.SSHClient()
        known = Path(house.known_hosts or "~/.ssh/known_hosts").expanduser()
        try:
            client.load_host_keys(str(known))
        except OSError:
            raise MailboxError(
                f"cannot read the known hosts file {known}: add the clearinghouse's host key "
                "there (ssh-keyscan) or name the file with known_hosts"
            ) from None
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        key_file = _key_file(house)
        try:
            client.connect(
                house.host or "",
                port=house.port,
                username=house.user,
                password=password_of(house),
                key_filename=key_file,
                timeout=house.timeout_seconds,
                banner_timeout=house.timeout_seconds,
                auth_timeout=house.timeout_seconds,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.AuthenticationException:
            client.close()
            how = (
                f"the password from {house.password_env or house.password_file}"
                if house.password_env or house.password_file
                else f"the key file {house.key_file}"
            )
            raise MailboxError(
                f"authentication failed for {where}: check the user name and {how}"
            ) from None
        except paramiko.BadHostKeyException:
            client.close()
            raise MailboxError(
                f"the host key of {house.host}:{house.port} is not the one in {known}: the server "
                "changed its key, or is not the clearinghouse; ask the clearinghouse before "
                "replacing the key there"
            ) from None
        except paramiko.SSHException as e:
            client.close()
            if "not found in known_hosts" in str(e):
                raise MailboxError(
                    f"the host key of {house.host}:{house.port} is not in {known}: check its "
                    "fingerprint with the clearinghouse, then add it (ssh-keyscan -p "
                    f"{house.port} {house.host} >> {known})"
                ) from None
            raise MailboxError(f"cannot connect to {where}: {e}") from None
        except OSError as e:
            client.close()
            raise MailboxError(f"cannot connect to {where}: {e.strerror or e}") from None
        self.client = client
        self.sftp = client.open_sftp()
        self.sftp.get_channel().settimeout(house.timeout_seconds)

    def _call(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except (OSError, EOFError, self._paramiko.SSHException) as e:
            raise MailboxError(
                f"{what}: {getattr(e, 'strerror', None) or e or 'connection lost'}"
            ) from None

    def _progress(self, event: str) -> Callable[[int, int], None] | None:
        hook = self.hook
        if hook is None:
            return None
        return lambda done, _total: hook(event, done)

    def inbound(self) -> list[RemoteFile]:
        out = []
        for folder in self.house.inbound:
            entries = self._call(f"cannot list {folder}", partial(self._entries, folder))
            for raw, a in sorted(entries, key=lambda e: e[0]):
                f = _file(folder, raw, a.st_size or 0)
                if _taken(f.name, self.house.patterns) and not _is_dir(a):
                    out.append(f)
        return out

    def _entries(self, folder: str) -> list[tuple[bytes, Any]]:
        """Each entry's name (its bytes) and attributes: paramiko's listdir_attr decodes the
        names as UTF-8 and fails the whole listing on one that is not."""
        from paramiko.sftp import CMD_CLOSE, CMD_NAME, CMD_OPENDIR, CMD_READDIR
        from paramiko.sftp_attr import SFTPAttributes

        sftp, out = self.sftp, []
        handle = sftp._request(CMD_OPENDIR, folder)[1].get_binary()
        try:
            while True:
                try:
                    kind, msg = sftp._request(CMD_READDIR, handle)
                except EOFError:  # the end of the listing
                    break
                if kind != CMD_NAME:
                    raise MailboxError(f"cannot list {folder}: the server answered no names")
                for _ in range(msg.get_int()):
                    raw, _long = msg.get_string(), msg.get_string()
                    attrs = SFTPAttributes._from_msg(msg)
                    if raw not in (b".", b".."):
                        out.append((raw, attrs))
        finally:
            sftp._request(CMD_CLOSE, handle)
        return out

    def _at(self, f: RemoteFile) -> str | bytes:
        return posixpath.join(f.folder.encode(), f.raw) if f.raw else f.path

    def download(self, f: RemoteFile, local: Path) -> None:
        tmp = local.with_name(f".{local.name}.part")
        with open(tmp, "wb") as out:
            got = self._call(f"download of {f.path} failed", lambda: self._fetch(f, out))
        if got != f.size:
            tmp.unlink(missing_ok=True)
            now = self._call(
                f"cannot look at {f.path}", lambda: self.sftp.stat(self._at(f))
            ).st_size
            if got > f.size or now != f.size:
                raise FileChanged(_changed(f, got))
            raise MailboxError(f"download of {f.path} is incomplete: the connection dropped")
        os.replace(tmp, local)

    def _fetch(self, f: RemoteFile, out: Any) -> int:
        """The file's bytes into `out`, up to one past its listed size (a file grown since it
        was listed is not taken in whole: it may be gigabytes by now); how many there were."""
        progress, got = self._progress("download"), 0
        try:
            remote = self.sftp.open(self._at(f), "rb")
        except FileNotFoundError:
            raise FileGone(f) from None
        with remote:
            remote.prefetch(f.size)
            while got <= f.size:
                chunk = remote.read(min(_CHUNK, f.size + 1 - got))
                if not chunk:
                    break
                out.write(chunk)
                got += len(chunk)
                if progress is not None:
                    progress(got, f.size)
        return got

    def upload(self, name: str, data: bytes, placed: Callable[[], None]) -> str:
        import io

        target = posixpath.join(self.house.outbound, name)
        tmp = posixpath.join(self.house.outbound, part_name(name))
        self._call(
            f"upload of {name} failed",
            lambda: self.sftp.putfo(
                io.BytesIO(data), tmp, file_size=len(data), callback=self._progress("upload")
            ),
        )
        placed()
        self._call(f"cannot rename {tmp}", lambda: self._rename(tmp, target))
        return target

    def _rename(self, old: str | bytes, new: str) -> None:
        """OpenSSH's posix-rename; on a server without it (another SFTP server answering
        "operation unsupported"), SFTP's own rename, which refuses a target that exists:
        neither the upload's nor the archive's does."""
        try:
            self.sftp.posix_rename(old, new)
        except OSError as e:
            if e.errno is not None:  # no such file, permission denied: the file's own answer
                raise
            self.sftp.rename(old, new)

    def outbound_file(self, name: str) -> tuple[int, bytes | None] | None:
        import io

        path, out = posixpath.join(self.house.outbound, name), io.BytesIO()
        try:
            size = self.sftp.stat(path).st_size or 0
        except FileNotFoundError:
            return None
        except (OSError, EOFError, self._paramiko.SSHException) as e:
            raise MailboxError(f"cannot look into {self.house.outbound}: {e}") from None
        try:
            self.sftp.getfo(path, out)
        except PermissionError:  # a drop folder the clearinghouse lets us write, not read
            return size, None
        except (OSError, EOFError, self._paramiko.SSHException) as e:
            raise MailboxError(f"cannot read {self.house.outbound}/{name}: {e}") from None
        return size, out.getvalue()

    def exists(self, name: str) -> bool:
        try:
            self.sftp.stat(posixpath.join(self.house.outbound, name))
            return True
        except FileNotFoundError:
            return False
        except (OSError, EOFError, self._paramiko.SSHException) as e:
            raise MailboxError(f"cannot look into {self.house.outbound}: {e}") from None

    def archive(self, f: RemoteFile) -> str | None:
        folder = self.house.archive
        if not folder:
            return None
        self._call(f"cannot make {folder}", lambda: self._ensure(folder))
        entries = self._call(f"cannot list {folder}", lambda: self._entries(folder))
        existing = {_file(folder, raw, 0).name for raw, _ in entries}
        target = posixpath.join(folder, _free_name(f.name, existing.__contains__))
        try:
            self._rename(self._at(f), target)
        except FileNotFoundError:
            raise FileGone(f) from None
        except (OSError, EOFError, self._paramiko.SSHException) as e:
            raise MailboxError(f"cannot archive {f.path}: {e}") from None
        return target

    def _ensure(self, folder: str) -> None:
        try:
            self.sftp.stat(folder)
        except FileNotFoundError:
            self.sftp.mkdir(folder)

    def close(self) -> None:
        self.client.close()


def _key_file(house: Clearinghouse) -> str | None:
    """The private key's path, refused at once when it cannot be read or is not a key
    (paramiko would say "No such file or directory" or "not a valid key file", as if the
    server were missing); a key with a passphrase goes on to fail as authentication."""
    import paramiko

    if not house.key_file:
        if not house.password_env and not house.password_file:
            raise MailboxError(
                f"the clearinghouse at {house.host} has no way to log in: give it key_file, "
                "password_env or password_file"
            )
        return None
    path = Path(house.key_file).expanduser()
    try:
        paramiko.PKey.from_path(path)
    except OSError as e:
        raise MailboxError(
            f"cannot read the key file {house.key_file} (key_file): {e.strerror or e}"
        ) from None
    except paramiko.PasswordRequiredException:
        pass
    except (paramiko.SSHException, ValueError, paramiko.pkey.UnknownKeyType):
        raise MailboxError(
            f"the key file {house.key_file} (key_file) is not a private key ptbill can use: "
            "name the private key the clearinghouse has the public half of (OpenSSH or PEM; "
            "not the .pub file)"
        ) from None
    return str(path)


def _is_dir(attr: Any) -> bool:
    import stat

    return stat.S_ISDIR(attr.st_mode or 0)


def open_mailbox(
    house: Clearinghouse,
    base: Path | None = None,
    hook: Callable[[str, int], None] | None = None,
) -> Mailbox:
    """The mailbox a clearinghouse's configuration describes (`local` relative to `base`)."""
    if house.local is not None:
        root = Path(house.local).expanduser()
        if not root.is_absolute() and base is not None:
            root = base / root
        return LocalMailbox(house, root)
    if not house.host or not house.user:
        raise MailboxError("the clearinghouse needs host and user (or local, for a folder)")
    return SftpMailbox(house, hook)
