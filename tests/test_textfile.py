"""User text files: UTF-8 with or without a byte-order mark; anything else is one clear line."""
from __future__ import annotations

import pytest

from audioscale.asr.wer import read_tsv, wer_of_files
from audioscale.cli import main
from audioscale.errors import AudioscaleError
from audioscale.textfile import read_text


def test_bom_is_not_part_of_the_first_id(tmp_path):
    f = tmp_path / "ref.tsv"
    f.write_bytes(b"\xef\xbb\xbfa\tHELLO WORLD\nb\tCAF\xc3\x89\n")
    assert read_tsv(f) == {"a": "HELLO WORLD", "b": "CAF\u00c9"}


def test_latin1_names_file_line_and_byte(tmp_path):
    f = tmp_path / "hyp.tsv"
    f.write_bytes(b"a\thello\nb\tcaf\xe9\n")
    with pytest.raises(AudioscaleError, match=r"hyp.tsv:2: byte 0xe9 at offset 13 is not UTF-8.*iconv"):
        read_text(f, "hypothesis file")


def test_folder_given_for_a_file(tmp_path):
    with pytest.raises(AudioscaleError, match="is a folder, not a manifest"):
        read_text(tmp_path, "manifest")


def test_wer_cli_latin1_is_exit_2_without_traceback(tmp_path, capsys):
    ref, hyp = tmp_path / "ref.tsv", tmp_path / "hyp.tsv"
    ref.write_text("a\tcafe\n", encoding="utf-8")
    hyp.write_bytes(b"a\tcaf\xe9\n")
    assert main(["wer", str(ref), str(hyp), "--normalizer", "none"]) == 2
    err = capsys.readouterr().err
    assert "not UTF-8" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bom_ref_scores_like_plain(tmp_path):
    ref, ref_bom, hyp = tmp_path / "r.tsv", tmp_path / "rb.tsv", tmp_path / "h.tsv"
    ref.write_text("x\tone two three\n", encoding="utf-8")
    ref_bom.write_text("x\tone two three\n", encoding="utf-8-sig")
    hyp.write_text("x\tone two tree\n", encoding="utf-8")
    assert wer_of_files(ref_bom, hyp, "none").wer_pct == wer_of_files(ref, hyp, "none").wer_pct == pytest.approx(100 / 3)


def test_latin1_librispeech_transcript_is_a_clear_error(tmp_path):
    from audioscale.asr.data import load_asr_data

    chap = tmp_path / "11" / "22"
    chap.mkdir(parents=True)
    (chap / "11-22.trans.txt").write_bytes(b"11-22-0000 CAF\xc9\n")
    with pytest.raises(AudioscaleError, match=r"11-22.trans.txt:1: byte 0xc9 .* not UTF-8"):
        load_asr_data(str(tmp_path))
