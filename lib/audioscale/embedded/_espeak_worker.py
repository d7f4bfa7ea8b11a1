"""eSpeak NG synthesis server (run as a subprocess by ``speech``; not a public module).

libespeak-ng keeps hidden state between utterances (pitch-flutter phase, wave phase,
resonator memories), so two identical calls in one process give different samples. This
process initialises the library once and never speaks itself: each request is served by
a fork that starts from that same pristine state, speaks, writes its answer and exits.
So the samples depend only on the request.

Protocol on stdin/stdout: one JSON request per line; the answer is one JSON header line
(``n`` samples, ``words`` = WORD events as [sample, text position, length], ``error``) then ``n`` int16
samples (little-endian, 22050 Hz).
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
from ctypes import POINTER, Structure, Union, c_char, c_char_p, c_int, c_short, c_uint, c_void_p

_EVENT_WORD, _EVENT_END = 1, 0
_AUDIO_OUTPUT_SYNCHRONOUS, _CHARS_UTF8 = 2, 1
_RAND_SEED = 0


class _EventId(Union):
    _fields_ = [("number", c_int), ("name", c_char_p), ("string", c_char * 8)]


class _Event(Structure):  # speak_lib.h: espeak_EVENT
    _fields_ = [("type", c_int), ("unique_identifier", c_uint), ("text_position", c_int),
                ("length", c_int), ("audio_position", c_int), ("sample", c_int),
                ("user_data", c_void_p), ("id", _EventId)]


_CALLBACK = ctypes.CFUNCTYPE(c_int, POINTER(c_short), c_int, POINTER(_Event))


def _serve_one(lib, request: dict, out_fd: int) -> None:
    chunks, words = [], []

    def on_audio(wav, n, events):
        if n > 0 and wav:
            chunks.append(ctypes.string_at(wav, 2 * n))
        i = 0
        while events[i].type != _EVENT_END:
            if events[i].type == _EVENT_WORD:
                # sample: 22050 Hz samples from the start; text_position: 1-based char offset
                words.append([int(events[i].sample), int(events[i].text_position), int(events[i].length)])
            i += 1
        return 0

    cb = _CALLBACK(on_audio)
    lib.espeak_SetSynthCallback(cb)
    error = ""
    if lib.espeak_SetVoiceByName(request["voice"].encode()) != 0:
        error = "voice"
    else:
        for pid, value in request["params"]:
            lib.espeak_SetParameter(pid, value, 0)
        lib.espeak_ng_SetRandSeed(_RAND_SEED)
        data = request["text"].encode("utf-8") + b"\0"
        if lib.espeak_Synth(data, len(data), 0, 0, 0, _CHARS_UTF8, None, None) != 0:
            error = "synth"
        lib.espeak_Synchronize()
    pcm = b"".join(chunks)
    header = json.dumps({"n": len(pcm) // 2, "words": words, "error": error}).encode() + b"\n"
    payload = memoryview(header + pcm)
    while payload:
        payload = payload[os.write(out_fd, payload):]


def main() -> int:
    import espeakng_loader

    lib = ctypes.CDLL(espeakng_loader.get_library_path())
    lib.espeak_SetVoiceByName.argtypes = [c_char_p]
    lib.espeak_SetParameter.argtypes = [c_int, c_int, c_int]
    lib.espeak_Synth.argtypes = [c_void_p, ctypes.c_size_t, c_uint, c_int, c_uint, c_uint,
                                 POINTER(c_uint), c_void_p]
    lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
    rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0)
    out_fd = sys.stdout.fileno()
    os.write(out_fd, json.dumps({"rate": rate}).encode() + b"\n")
    for line in sys.stdin.buffer:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:  # child: speak from the pristine state, answer, exit without cleanup
            try:
                _serve_one(lib, request, out_fd)
            finally:
                os._exit(0)
        _, status = os.waitpid(pid, 0)
        if status != 0:  # the child died before answering: answer for it
            os.write(out_fd, json.dumps({"n": 0, "words": [], "error": f"crash {status}"}).encode() + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
