#!/usr/bin/env python3
"""Writes the seed corpus (tests/fuzz/corpus/<target>/) from the wire fixtures (tests/fixtures).

Run from anywhere: python3 tests/fuzz/make_seeds.py. The seeds are committed; rerun this after
adding fixtures. Input layouts follow the harnesses: error_classification takes a status (two
bytes, little-endian, status - 100), a provider byte (0 groq, 1 cerebras, 2 gemini, 3 anthropic),
header lines, an empty line and the body; sse takes four split-point bytes, then the body;
anthropic_answer takes a Message, or a list of stream events.
"""
import glob
import os
import shutil
import struct

here = os.path.dirname(os.path.abspath(__file__))
fixtures = os.path.join(here, "..", "fixtures")
out = os.path.join(here, "corpus")


def read(name):
    with open(os.path.join(fixtures, name), "rb") as f:
        return f.read()


def put(target, name, data):
    # A fixture's tool call names a user's home folder; the repository names no such path
    # (tests/docs/self_contained.sh), and the fuzzer needs the shape, not the path.
    data = data.replace(b"/".join([b"", b"home", b"user"]), b"/srv/site")
    os.makedirs(os.path.join(out, target), exist_ok=True)
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)


def header_lines(name):
    lines = read(name).decode().splitlines()
    return "\n".join(line for line in lines[1:] if ":" in line)


shutil.rmtree(out, ignore_errors=True)

# The reproducers of issue 14's defects stay in the corpus, so every run replays them first.
put("openai_answer", "regression_float_beyond_int64.json",
    b'{"x":1e19,"choices":[{"message":{"content":"a"}}],"usage":{"total_tokens":-1e300}}')
put("gemini_answer", "regression_float_beyond_int64.json",
    b'{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":3}],'
    b'"usageMetadata":{"promptTokenCount":1e300,"candidatesTokenCount":9223372036854775807,'
    b'"thoughtsTokenCount":9223372036854775807}}')
put("sse", "regression_wrong_types.sse",
    b'\x00\x00\x00\x00data: {"choices":[{"index":0,"delta":{"content":"a","tool_calls":[{"index":"x"},'
    b'{"index":1e300}]}}]}\n\ndata: {"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":3}]}\n\n')
put("retry_hints", "regression_year_2262", b"Fri, 01 Jan 2262 00:00:00 GMT")
put("retry_hints", "regression_year_3000", b"Tue, 01 Jan 3000 00:00:00 GMT")

for name in ["groq_ok.json", "cerebras_ok.json", "groq_tool_call.json", "openai_tool_call.json"]:
    put("openai_answer", name, read(name))
put("openai_answer", "custom_tool_call.json",  # issue 12: a schema-valid call of another kind
    b'{"choices":[{"message":{"content":"x","tool_calls":[{"id":"a","type":"custom","custom":'
    b'{"name":"g","input":"i"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1e19,"total_tokens":3}}')

for name in ["gemini_ok.json", "gemini_tool_call.json", "gemini_finish_max_tokens.json", "gemini_finish_safety.json"]:
    put("gemini_answer", name, read(name))

for name in ["anthropic_ok.json", "anthropic_tool_use.json", "anthropic_thinking.json"]:
    put("anthropic_answer", name, read(name))
for name in ["anthropic_stream.sse", "anthropic_stream_tool_use.sse", "anthropic_stream_error.sse"]:
    events = [line[len("data: "):] for line in read(name).decode().splitlines() if line.startswith("data: ")]
    put("anthropic_answer", name.replace(".sse", ".events.json"), ("[" + ",".join(events) + "]").encode())

providers = {"groq": 0, "cerebras": 1, "gemini": 2, "anthropic": 3}
headers_of = {"groq": "groq_429.headers.txt", "cerebras": "cerebras_429_requests.headers.txt",
              "gemini": "gemini_429.headers.txt", "anthropic": "anthropic_429.headers.txt"}
for path in sorted(glob.glob(os.path.join(fixtures, "*_[0-9][0-9][0-9]*.json"))):
    name = os.path.basename(path)
    provider = name.split("_")[0]
    if provider not in providers:
        continue
    status = int(name.split("_")[1].split(".")[0])
    headers = header_lines(headers_of[provider]) if status == 429 else ""
    put("error_classification", name,
        struct.pack("<H", status - 100) + bytes([providers[provider]]) + headers.encode() + b"\n\n" + read(name))
put("error_classification", "regression_key_in_content_type",
    struct.pack("<H", 400) + bytes([0]) +
    b"content-type: text/plain; sk-live-FuzzKey0123456789abcdefghijklmnopqrstuv\n\ninternal error")

for name in ["groq_stream.sse", "groq_stream_tool_call.sse", "cerebras_stream.sse", "gemini_stream.sse",
             "openai_stream_include_usage.sse", "anthropic_stream.sse", "anthropic_stream_tool_use.sse",
             "anthropic_stream_error.sse"]:
    put("sse", name, b"\x05\x11\x40\x90" + read(name))

hints = ["2m59.56s", "11.382867097854614", "26s", "45.837906927s", "Wed, 21 Oct 2026 07:28:00 GMT",
         "Please try again in 11.455s.", "Please retry in 36.429760048s.",
         "172ms", "1h2m3s"]
for i, hint in enumerate(hints):
    put("retry_hints", "hint%02d" % i, hint.encode())

put("dotenv", "basic.env",
    b"# comment\nexport GROQ_API_KEY0=gsk_abc\nGEMINI_API_KEY0=\"AIza\\n\\\"q\\\"\"\n"
    b"CEREBRAS_API_KEY1='lit eral' # tail\n\nEMPTY=\n")

put("config", "full.json", b"""{"debug": false, "provider_order": ["groq","gemini"], "system_prompt": "s",
"round_robin": true, "content_filter": "next", "max_response_bytes": 4096,
"providers": {"groq": {"models": ["a","b"], "key_count": 2, "base_url": "http://x", "shared_quota": true}},
"openai_compatible": [{"name": "local", "base_url": "http://127.0.0.1:8080/v1", "models": ["m"]}],
"retry": {"max_retries": 4, "initial_backoff_ms": 10, "max_backoff_ms": 100, "multiplier": 2, "jitter": 0.1,
 "max_retry_hint_ms": 1000, "throttle": true, "throttle_max_tokens": 10, "throttle_token_ratio": 0.1},
"cooldown": {"rate_limit_default_ms": 1, "invalid_key_ttl_ms": null, "missing_model_ttl_ms": 5,
 "daily_limit_minimum_ms": 7},
"breaker": {"failure_threshold": 3, "open_ms": 100},
"timeouts": {"connect_ms": 1, "attempt_ms": 2, "total_ms": 3, "max_wait_ms": 4, "first_delta_ms": 5, "stall_ms": 6}}""")
put("config", "regression_overflow.json", b'{"retry":{"jitter":1e400}}')
