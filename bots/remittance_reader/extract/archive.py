"""ZIP attachments opened inside hard bounds, so a hostile archive costs nothing.

Contract: :func:`expand_zip` never raises and never writes to disk.  It returns the
members it read and, for everything it refused, a sentence a person understands:

* the whole archive: not a ZIP or corrupt, more than ``max_members`` members, more
  than ``max_total_bytes`` once expanded (counted while reading, so a header that
  lies about sizes does not help), or a ZIP nested deeper than ``max_depth``;
* one member: a path that climbs out of the archive (``..``, absolute, drive
  letters), encrypted (password protected), compressed more than ``max_ratio`` to 1,
  larger than ``max_member_bytes``, or an unsupported compression method.

Directories and the macOS ``__MACOSX/`` resource-fork entries are skipped silently.
Nested archives are not opened here: the caller (``extract.attachments``) recurses and
passes ``depth``.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

__all__ = ["ArchiveLimits", "ArchiveMember", "ExpandedArchive", "expand_zip"]

_CHUNK = 64 * 1024
_MB = 1_048_576
# Small files of repeated characters compress well past any sane ratio; only members
# that expand beyond this are held to ``max_ratio``.
_RATIO_FLOOR = _MB


@dataclass(frozen=True)
class ArchiveLimits:
    """How much one archive may cost to open."""

    max_members: int = 50  # a remittance ZIP holds a handful of files
    max_total_bytes: int = 100 * _MB  # all members together, expanded
    max_member_bytes: int = 20 * _MB  # one member, expanded (as a mail part)
    max_ratio: float = 100.0  # expanded/compressed; documents compress 2-20x, bombs 1000x
    max_depth: int = 1  # a ZIP inside a ZIP is opened; one inside that is not


@dataclass(frozen=True)
class ArchiveMember:
    """One file read from an archive."""

    name: str  # the path inside the archive, as stored
    data: bytes = field(repr=False)


@dataclass(frozen=True)
class ExpandedArchive:
    """What :func:`expand_zip` read, and what it refused (one sentence each)."""

    members: list[ArchiveMember] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _size(count: int) -> str:
    return f"{count / _MB:.0f} MB" if count >= _MB else f"{count} bytes"


class _Refused(Exception):
    """A member is over a bound; the message says which."""


class _OverTotal(_Refused):
    """The archive as a whole is over its expanded-size bound: stop reading it."""


def _unsafe_path(name: str) -> bool:
    path = name.replace("\\", "/")
    parts = path.split("/")
    return (
        path.startswith("/")
        or (len(path) > 1 and path[1] == ":")  # C:/..., D:...
        or any(part == ".." for part in parts)
        or "\x00" in path
    )


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, allowance: int, limits: ArchiveLimits
) -> bytes:
    """The member's bytes, read in chunks and stopped as soon as a bound is passed."""
    out = bytearray()
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            out += chunk
            if len(out) > limits.max_member_bytes:
                raise _Refused(f"is larger than {_size(limits.max_member_bytes)} expanded")
            if len(out) > allowance:
                raise _OverTotal(
                    f"expands to more than {_size(limits.max_total_bytes)} in total; "
                    "the rest of the archive was not read"
                )
            if len(out) > max(_RATIO_FLOOR, max(info.compress_size, 1) * limits.max_ratio):
                raise _Refused(f"is compressed more than {limits.max_ratio:.0f} to 1 "
                               "(a ZIP bomb?)")
    return bytes(out)


def expand_zip(
    data: bytes, name: str, *, limits: ArchiveLimits | None = None, depth: int = 0
) -> ExpandedArchive:
    """The members of the ZIP ``data`` (named ``name`` in messages), within ``limits``."""
    limits = limits or ArchiveLimits()
    if depth > limits.max_depth:
        return ExpandedArchive(problems=[
            f"{name}: a ZIP nested more than {limits.max_depth} level(s) deep was not opened"])
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        return ExpandedArchive(problems=[f"{name}: not a readable ZIP archive ({exc})"])
    files = [i for i in infos if not i.is_dir() and not i.filename.startswith("__MACOSX/")]
    if len(files) > limits.max_members:
        return ExpandedArchive(problems=[
            f"{name}: holds {len(files)} files, more than the {limits.max_members} allowed; "
            "not opened"])
    declared = sum(i.file_size for i in files)
    if declared > limits.max_total_bytes:
        return ExpandedArchive(problems=[
            f"{name}: would expand to {_size(declared)}, more than the "
            f"{_size(limits.max_total_bytes)} allowed; not opened"])
    members: list[ArchiveMember] = []
    problems: list[str] = []
    used = 0
    for info in files:
        label = f"{name}: member {info.filename!r}"
        if _unsafe_path(info.filename):
            problems.append(f"{label} has a path outside the archive; not read")
            continue
        if info.flag_bits & 0x1:
            problems.append(f"{label} is encrypted (password protected); not read")
            continue
        if info.file_size > limits.max_member_bytes:
            problems.append(f"{label} is larger than {_size(limits.max_member_bytes)} "
                            "expanded; not read")
            continue
        if info.file_size > max(_RATIO_FLOOR, max(info.compress_size, 1) * limits.max_ratio):
            problems.append(f"{label} is compressed more than {limits.max_ratio:.0f} to 1 "
                            "(a ZIP bomb?); not read")
            continue
        try:
            content = _read_member(archive, info, limits.max_total_bytes - used, limits)
        except _OverTotal as refused:
            problems.append(f"{label} {refused}")
            break
        except _Refused as refused:
            problems.append(f"{label} {refused}; not read")
            continue
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError, EOFError,
                ValueError, zlib.error) as exc:
            problems.append(f"{label} could not be read ({exc})")
            continue
        used += len(content)
        members.append(ArchiveMember(info.filename, content))
    return ExpandedArchive(members, problems)
