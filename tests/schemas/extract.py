#!/usr/bin/env python3
"""Writes the request schemas the schema test validates against, taken from the providers'
published OpenAPI documents (see README.md here for where each comes from).

    extract.py <specs folder> <output folder>

<specs folder> holds anthropic/openapi.json, openai/openapi.yaml, groq/openapi.yaml and
gemini/openapi.json as published. For each, the request schema and every schema it reaches
through $ref are kept, validation keywords unchanged; annotations (description, title, example,
examples, default, deprecated, x-*) are dropped to keep the files small.
"""
import hashlib
import json
import sys

import yaml

DOCUMENTS = [
    # output file, source document, root schema
    ("anthropic_messages.json", "anthropic/openapi.json", "CreateMessageParams"),
    ("openai_chat_completions.json", "openai/openapi.yaml", "CreateChatCompletionRequest"),
    ("groq_chat_completions.json", "groq/openapi.yaml", "CreateChatCompletionRequest"),
    ("gemini_generate_content.json", "gemini/openapi.json", "GenerateContentRequest"),
]
ANNOTATIONS = {"description", "title", "example", "examples", "default", "deprecated"}


def load(path):
    with open(path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    return raw, (json.loads(text) if path.endswith(".json") else yaml.safe_load(text))


def strip(node, under_properties=False):
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            # Inside "properties" the keys are field names, not keywords.
            if not under_properties and (key in ANNOTATIONS or key.startswith("x-")):
                continue
            out[key] = strip(value, key == "properties" and not under_properties)
        return out
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def closure(schemas, root):
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)

        def walk(node):
            if isinstance(node, dict):
                for key, value in node.items():
                    if key == "$ref" and isinstance(value, str):
                        todo.append(value.rsplit("/", 1)[-1])
                    else:
                        walk(value)
            elif isinstance(node, list):
                for value in node:
                    walk(value)

        walk(schemas[name])
    return {name: strip(schemas[name]) for name in sorted(seen)}


def main(specs, out):
    for output, source, root in DOCUMENTS:
        raw, document = load(f"{specs}/{source}")
        schemas = closure(document["components"]["schemas"], root)
        result = {
            "source": source,
            "source_sha256": hashlib.sha256(raw).hexdigest(),
            "root": root,
            "components": {"schemas": schemas},
        }
        with open(f"{out}/{output}", "w") as f:
            json.dump(result, f, indent=1, sort_keys=True, ensure_ascii=False)
            f.write("\n")
        print(f"{output}: {len(schemas)} schemas from {source}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
