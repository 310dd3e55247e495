"""The safe reader's and the escaping module's rules, one by one."""
from __future__ import annotations

import pytest

from eice_checks.config import ConfigError, parse_size
from eice_checks.escape import bounded_message, excerpt, file_uri, printable
from eice_checks.files import FileReader, UnreadableFile, decode, wide_encoding
from eice_checks.frontends.common import InputError


def test_printable_escapes_control_characters_and_undecodable_name_bytes_only():
    assert printable("main.tf: Grüße, 東京 …") == "main.tf: Grüße, 東京 …"
    assert printable("a\x1b[31mb\nc\td\x7f") == "a\\x1b[31mb\\nc\\td\\x7f"
    assert printable("\udcff\udcfe.tf") == "\\xff\\xfe.tf"  # os.fsdecode(b"\xff\xfe.tf")
    assert printable("\u202eevil\ud800") == "\\u202eevil\\ud800"  # bidi override, lone surrogate
    assert printable(printable("\x00\udcff")) == printable("\x00\udcff")  # idempotent
    assert printable("a\nb", keep="\n") == "a\nb"


def test_messages_carry_no_more_than_an_excerpt_of_input():
    assert bounded_message("invalid HCL: unexpected '}'") == "invalid HCL: unexpected '}'"
    prose = "the endpoint's group can't be read; it isn't the tool's fault"
    assert bounded_message(prose) == prose  # apostrophes are not quotes
    assert bounded_message("KeyError: '" + "s" * 100 + "'") == "KeyError: '" + "s" * 40 + "…'"
    assert bounded_message('unexpected "' + "s" * 100) == 'unexpected "' + "s" * 40 + '…"'  # left open
    assert bounded_message("unknown tag !" + "t" * 100) == "unknown tag !" + "t" * 63 + "…"
    assert len(bounded_message(" ".join(["word"] * 200))) == 241
    assert InputError("x.tf", "bad \x1b[2J '" + "s" * 100 + "'").message == "bad \\x1b[2J '" + "s" * 40 + "…'"
    assert excerpt("a\nb" * 30, 8) == "a\\nba\\nba\\n…"


def test_uris_percent_encode_the_bytes_of_a_name():
    assert file_uri("net/main.tf") == "net/main.tf"
    assert file_uri("my dir/50%.yaml") == "my%20dir/50%25.yaml"
    assert file_uri("\udcff.tf") == "%FF.tf"
    assert file_uri("Grüße.tf") == "Gr%C3%BC%C3%9Fe.tf"


def test_sizes():
    assert parse_size("20M") == parse_size("20 MiB") == parse_size("20mb") == 20 * 1024 * 1024
    assert parse_size("512K") == 512 * 1024 and parse_size(1000) == parse_size("1000") == 1000
    for bad in ("1.5M", "lots", 0, True, "-1"):
        with pytest.raises(ConfigError):
            parse_size(bad)


def test_encodings_are_named_not_misread():
    text = "Resources: {}\n"
    assert decode(("\ufeff" + text).encode()) == text
    assert wide_encoding(text.encode("utf-16")) == wide_encoding(text.encode("utf-16-be")) == "UTF-16"
    assert wide_encoding(text.encode("utf-32")) == "UTF-32"
    assert wide_encoding(text.encode()) is None and wide_encoding(bytes(100)) is None  # zeros only: no text
    with pytest.raises(UnreadableFile, match=r"^skipped: UTF-16 text is not read; save it as UTF-8$"):
        decode(text.encode("utf-16-le"))
    with pytest.raises(UnreadableFile, match=r"not UTF-8 text \(byte 0xE9\)") as raised:
        decode("a\nb\ncafé".encode("latin-1"))
    assert raised.value.line == 3


def test_the_reader_confines_to_its_roots(tmp_path):
    inside, outside = tmp_path / "in", tmp_path / "out"
    inside.mkdir()
    outside.mkdir()
    (outside / "a.tf").write_text("x")
    (inside / "b.tf").write_text("y")
    (inside / "link.tf").symlink_to(outside / "a.tf")
    (inside / "dir").symlink_to(outside, target_is_directory=True)
    reader = FileReader([str(inside)])
    assert reader.read_text(str(inside / "b.tf")) == "y"
    for path, reason in (("link.tf", "a symbolic link to outside the scanned tree"),
                         ("dir/a.tf", "outside the scanned tree")):  # through a linked directory
        with pytest.raises(UnreadableFile) as raised:
            reader.read_text(str(inside / path))
        assert raised.value.reason == reason
    assert reader.read_text(str(inside / "link.tf"), confined=False) == "x"  # a file the user named
    assert not reader.contains(str(inside / "dir")) and reader.contains(str(inside))
    with pytest.raises(UnreadableFile, match="^skipped: a directory, not a regular file$"):
        reader.read_text(str(inside))
    with pytest.raises(UnreadableFile, match="^skipped: not a valid file name$"):
        reader.read_text(str(inside / "a\0b.tf"))
    assert not reader.contains(str(inside / "a\0b"))
    (inside / "sub").mkdir()
    (inside / "sub" / "up").symlink_to("..", target_is_directory=True)
    assert reader.real_path(str(inside / "sub" / "up" / "sub" / "up" / "b.tf")) == str((inside / "b.tf").resolve())
