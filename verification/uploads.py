"""Validation of uploaded evidence: size, type from the bytes themselves, a safe name."""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from config.json_input import JSONTooDeepError, json_parse

# Detected content type -> the file name extensions that may carry it.
ALLOWED_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/png": ("png",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/gif": ("gif",),
    "image/webp": ("webp",),
    "video/mp4": ("mp4", "m4v"),
    "video/webm": ("webm",),
    "audio/mpeg": ("mp3",),
    "text/plain": ("txt", "text", "md"),
    "text/csv": ("csv",),
    "application/json": ("json",),
}
_TEXT_SNIFF_BYTES = 1024 * 1024
MAX_NAME_LENGTH = 150


@dataclass(frozen=True)
class UploadInfo:
    name: str
    content_type: str
    extension: str
    size: int
    sha256: str


def safe_filename(raw: str) -> str:
    """The last path component, normalised, without control or shell-special characters."""
    name = unicodedata.normalize("NFKC", raw).replace("\\", "/")
    name = PurePosixPath(name).name
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = "".join(ch if ch.isalnum() or ch in " ._-()" else "_" for ch in name)
    name = name.strip(" .")
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        name = (
            (stem[: MAX_NAME_LENGTH - len(ext) - 1] + dot + ext) if dot else name[:MAX_NAME_LENGTH]
        )
    return name


def size_text(size: int) -> str:
    """A size exactly in bytes, with a rounded figure beside it from 1 KB up."""
    exact = f"{size:,} byte{'' if size == 1 else 's'}"
    for unit, factor in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if size >= factor:
            rounded = f"{size / factor:.1f}".removesuffix(".0")
            return f"{exact} ({rounded} {unit})"
    return exact


def _sniff_text(file: UploadedFile, extension: str) -> str | None:
    file.seek(0)
    data = file.read(_TEXT_SNIFF_BYTES)
    if b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the sniffing limit is still text.
        if error.start < len(data) - 4:
            return None
        text = data[: error.start].decode("utf-8")
    if extension == "json":
        if len(data) == file.size:  # the whole file was read: it must parse
            try:
                json_parse(text, strict=False)
            except JSONTooDeepError as error:
                raise ValidationError(error.message, code="json_too_deep") from error
            except ValueError:
                return None
        return "application/json"
    return "text/csv" if extension == "csv" else "text/plain"


def inspect_upload(file: UploadedFile) -> UploadInfo:
    """Check an upload and describe it, or raise ``ValidationError`` saying what is wrong."""
    limit = settings.EVIDENCE_MAX_UPLOAD_BYTES
    size = file.size or 0
    if size == 0:
        raise ValidationError("The file is empty.", code="empty")
    if size > limit:
        # Exact figures: rounded, a file one byte over the limit would read as the limit.
        raise ValidationError(
            f"The file is {size:,} bytes; evidence files may be at most {size_text(limit)}.",
            code="too_large",
        )
    name = safe_filename(file.name or "")
    extension = name.rpartition(".")[2].lower() if "." in name else ""

    file.seek(0)
    kind = filetype.guess(file.read(8192))
    content_type = kind.mime if kind else _sniff_text(file, extension)
    allowed_list = ", ".join(sorted({ext for exts in ALLOWED_TYPES.values() for ext in exts}))
    if content_type not in ALLOWED_TYPES:
        described = content_type or "unrecognised binary data"
        raise ValidationError(
            f"The file's content is {described}, which is not accepted as evidence. "
            f"Accepted: {allowed_list}.",
            code="type_not_allowed",
        )
    if extension and extension not in ALLOWED_TYPES[content_type]:
        raise ValidationError(
            f"The file is named .{extension} but its content is {content_type}. "
            f"Upload it with a matching name (.{ALLOWED_TYPES[content_type][0]}).",
            code="type_mismatch",
        )
    extension = extension or ALLOWED_TYPES[content_type][0]
    if not name or name.startswith("."):
        name = f"evidence.{extension}"

    digest = hashlib.sha256()
    file.seek(0)
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return UploadInfo(
        name=name,
        content_type=content_type,
        extension=extension,
        size=size,
        sha256=digest.hexdigest(),
    )
