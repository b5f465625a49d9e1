"""ZIP attachments: read within bounds, every refusal said in a sentence."""

from __future__ import annotations

import io
import zipfile

from bots.remittance_reader.extract.archive import ArchiveLimits, ArchiveMember, expand_zip

MB = 1_048_576


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _encrypted_flag(data: bytes) -> bytes:
    """Set the 'encrypted' bit in the local and central headers (zipfile cannot write it)."""
    out = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = out.find(signature)
        out[at + offset] |= 0x1
    return bytes(out)


def test_members_are_read_and_directories_and_mac_forks_skipped() -> None:
    data = _zip({"remit/": b"", "remit/advice.csv": b"a,b\n", "__MACOSX/._advice.csv": b"x"})
    expanded = expand_zip(data, "remit.zip")
    assert expanded.members == [ArchiveMember("remit/advice.csv", b"a,b\n")]
    assert expanded.problems == []


def test_zip_bomb_of_200_mb_of_zeros_is_refused_unopened() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, \
            archive.open("zeros.pdf", "w", force_zip64=True) as member:
        chunk = bytes(MB)
        for _ in range(200):
            member.write(chunk)
    data = buffer.getvalue()
    assert len(data) < MB  # what arrives by mail is small
    expanded = expand_zip(data, "bomb.zip")
    assert expanded.members == []
    assert expanded.problems == [
        "bomb.zip: would expand to 200 MB, more than the 100 MB allowed; not opened"]


def test_member_compressed_beyond_the_ratio_is_refused() -> None:
    data = _zip({"zeros.csv": bytes(5 * MB), "advice.csv": b"a,b\n"})
    expanded = expand_zip(data, "remit.zip")
    assert [m.name for m in expanded.members] == ["advice.csv"]
    [problem] = expanded.problems
    assert problem.startswith("remit.zip: member 'zeros.csv' is compressed more than 100 to 1")


def test_small_files_that_compress_well_are_not_taken_for_bombs() -> None:
    data = _zip({"advice.csv": b"0" * 50_000})
    assert len(expand_zip(data, "remit.zip").members) == 1


def test_path_traversal_members_are_refused() -> None:
    data = _zip({"../../etc/cron.d/x": b"x", "/abs.csv": b"x", "C:\\win.csv": b"x",
                 "ok.csv": b"a,b\n"})
    expanded = expand_zip(data, "remit.zip")
    assert [m.name for m in expanded.members] == ["ok.csv"]
    assert len(expanded.problems) == 3
    assert all("has a path outside the archive; not read" in p for p in expanded.problems)


def test_too_many_members_refuses_the_archive() -> None:
    data = _zip({f"f{i}.csv": b"a" for i in range(51)})
    expanded = expand_zip(data, "many.zip")
    assert expanded.members == []
    assert expanded.problems == [
        "many.zip: holds 51 files, more than the 50 allowed; not opened"]


def test_encrypted_member_is_refused() -> None:
    data = _encrypted_flag(_zip({"secret.pdf": b"%PDF-1.4 ..."}))
    expanded = expand_zip(data, "secret.zip")
    assert expanded.members == []
    assert expanded.problems == [
        "secret.zip: member 'secret.pdf' is encrypted (password protected); not read"]


def test_member_over_the_size_limit_is_refused() -> None:
    data = _zip({"big.csv": bytes(range(256)) * 40, "ok.csv": b"a"})
    expanded = expand_zip(data, "remit.zip", limits=ArchiveLimits(max_member_bytes=5000))
    assert [m.name for m in expanded.members] == ["ok.csv"]
    assert expanded.problems == [
        "remit.zip: member 'big.csv' is larger than 5000 bytes expanded; not read"]


def test_nesting_beyond_the_depth_is_refused() -> None:
    data = _zip({"a.csv": b"a"})
    assert len(expand_zip(data, "inner.zip", depth=1).members) == 1
    expanded = expand_zip(data, "inner.zip", depth=2)
    assert expanded.members == []
    assert expanded.problems == [
        "inner.zip: a ZIP nested more than 1 level(s) deep was not opened"]


def test_corrupt_archive_is_a_problem_not_an_exception() -> None:
    for data in (b"PK\x03\x04garbage", b"", _zip({"a.csv": b"abc" * 100})[:-30]):
        expanded = expand_zip(data, "bad.zip")
        assert expanded.members == []
        assert expanded.problems and expanded.problems[0].startswith("bad.zip: ")
