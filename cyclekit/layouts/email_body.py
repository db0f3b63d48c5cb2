"""The subject and body of the messages cyclekit writes, from Jinja2 templates in templates/email/.

A template is the user's to replace, so it is rendered in Jinja2's immutable sandbox with the
few globals a text needs, its size and what it writes bounded: a template cannot read a file,
run code, or fill the disk. The first line it writes is `Subject: ...`, the rest is the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from cyclekit.errors import ConfigError

MAX_TEMPLATE_CHARS = 100_000
MAX_MESSAGE_CHARS = 1_000_000
MAX_SUBJECT_CHARS = 200
_GLOBALS = ("range", "dict", "namespace", "cycler", "joiner")


@dataclass(frozen=True)
class MessageText:
    subject: str
    body: str


def _environment() -> jinja2.Environment:
    env = ImmutableSandboxedEnvironment(autoescape=False, keep_trailing_newline=True, trim_blocks=True,
                                        lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    env.globals = {name: env.globals[name] for name in _GLOBALS}
    return env


def template_source(shipped: str, own: Path | None) -> tuple[str, str]:
    """(text, name shown in messages) of the user's template, or of the shipped one."""
    if own is None:
        from importlib.resources import files

        return (files("cyclekit.templates").joinpath("email", shipped).read_text(encoding="utf-8"),
                f"templates/email/{shipped}")
    try:
        with open(own, encoding="utf-8") as handle:
            text = handle.read(MAX_TEMPLATE_CHARS + 1)
    except FileNotFoundError:
        raise ConfigError(f"{own}: template not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{own}: not UTF-8 text; save the template as UTF-8") from None
    if len(text) > MAX_TEMPLATE_CHARS:
        raise ConfigError(f"{own}: a message template of more than {MAX_TEMPLATE_CHARS:,} characters")
    return text, str(own)


def _bounded(chunks: Any, shown: str) -> str:
    parts: list[str] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_MESSAGE_CHARS:
            raise ConfigError(f"template {shown}: writes more than {MAX_MESSAGE_CHARS:,} characters")
        parts.append(chunk)
    return "".join(parts)


def split_subject(text: str, shown: str) -> MessageText:
    """'Subject: ...' on the first line, then the body; a subject is one line of bounded length."""
    first, _, body = text.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise ConfigError(f"template {shown}: the first line it writes must be 'Subject: ...', "
                          f"not {first[:60]!r}")
    subject = " ".join(first[len("subject:"):].split())
    if not subject:
        raise ConfigError(f"template {shown}: the subject is empty")
    return MessageText(subject[:MAX_SUBJECT_CHARS], body.lstrip("\n"))


def render_message(shipped: str, own: Path | None, context: dict[str, Any]) -> MessageText:
    """The message for one person; whatever the template does wrong is one line naming it."""
    source, shown = template_source(shipped, own)
    try:
        template = _environment().from_string(source)
        text = _bounded(template.generate(context), shown)
    except ConfigError:
        raise
    except Exception as exc:  # a template's error, a sandbox refusal, an undefined name
        raise ConfigError(f"template {shown}: {exc.__class__.__name__}: {str(exc)[:200]}") from None
    return split_subject(text, shown)
