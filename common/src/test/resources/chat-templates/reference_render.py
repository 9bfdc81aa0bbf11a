"""Renders the cases in cases.json with Jinja2 into expected/<name>.txt.

The environment follows what Hugging Face transformers sets up for chat templates: a sandboxed
Jinja2 environment with trim_blocks and lstrip_blocks, the loopcontrols extension, a tojson
filter that calls json.dumps with ensure_ascii=False, raise_exception and strftime_now.
strftime_now reads a fixed time here, 2025-03-14 15:09:26 UTC, so the output is reproducible.

Usage: python3 reference_render.py ../../../../../shared/models/qwen35-tiny-stories
(run from this folder; Jinja2 3.1 was used).
"""
import datetime
import json
import pathlib
import sys

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXED_NOW = datetime.datetime(2025, 3, 14, 15, 9, 26, tzinfo=datetime.timezone.utc)
SPECIAL_TOKENS = ["bos_token", "eos_token", "unk_token", "pad_token"]


def tojson(value, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


def raise_exception(message):
    raise TemplateError(message)


def environment():
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = FIXED_NOW.strftime
    return env


def main(tiny_model_dir):
    here = pathlib.Path(__file__).parent
    config = json.loads((pathlib.Path(tiny_model_dir) / "tokenizer_config.json").read_text())
    templates = {
        "tiny": config["chat_template"],
        "python_like": (here / "python_like.jinja").read_text(),
        "whitespace": (here / "whitespace.jinja").read_text(),
        "qwen_style": (here / "qwen_style.jinja").read_text(),
    }
    env = environment()
    for case in json.loads((here / "cases.json").read_text()):
        variables = {name: config[name] for name in SPECIAL_TOKENS if isinstance(config.get(name), str)}
        variables.update(case.get("variables", {}))
        variables["messages"] = case["messages"]
        variables["tools"] = case.get("tools") or None
        variables["add_generation_prompt"] = case["add_generation_prompt"]
        text = env.from_string(templates[case["template"]]).render(**variables)
        (here / "expected" / (case["name"] + ".txt")).write_text(text)


if __name__ == "__main__":
    main(sys.argv[1])
