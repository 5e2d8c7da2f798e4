"""Receiving a submission: the multipart stream read as it arrives, each file part written to a
staging file in chunks — hashed, size-checked, typed by its content, and its fsync begun as soon
as it is complete — with nothing spooled elsewhere first, and a request over the limit refused as
soon as the limit is passed. services/storage.py then keeps the staged files. Also the form's
OpenAPI description: its fields and its file fields."""

from __future__ import annotations

import codecs
import hashlib
import unicodedata
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from pydantic import BaseModel
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from api.schemas import describe_enums
from config.settings import Settings
from services import storage
from services.errors import EmptyFile, RequestInvalid, UnsupportedFileType, UploadTooLarge
from services.storage import STAGING, StagedFile

MAX_FIELDS = 200
MAX_FIELD_BYTES = 64 * 1024
PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
OFD = "application/ofd"  # GB/T 33190
TXT = "text/plain; charset=utf-8"
TXT_GB18030 = "text/plain; charset=gb18030"
MAX_NAME_CHARS = 120
_PDF_MAGIC = b"%PDF-"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .wps
_TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r\f")
# A name that claims a type must match the content (the content decides, the name may not lie).
_CLAIMED_BY_SUFFIX = {
    ".pdf": (PDF,),
    ".docx": (DOCX,),
    ".ofd": (OFD,),
    ".txt": (TXT, TXT_GB18030),
}
# The staging task (fsync, directory), begun when a file is staged, and then its placement run here.
_SYNCS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="gongkai-fsync")
# The file fields of a submission and the kind of upload each is.
FILE_FIELDS = {
    "file": "main",
    "interpretation_plan": "interpretation_plan",  # 解读方案
    "interpretation_material": "interpretation_material",  # 解读材料
    "redacted_version": "redacted_version",  # 删减后公开的版本
    "other": "other",
}
FILE_DESCRIPTIONS = {
    "file": "the draft: PDF, DOCX, OFD or UTF-8/GB18030 text (typed by content; .doc/.wps are "
    "refused: save them as DOCX, OFD or PDF)",
    "interpretation_plan": "解读方案 (required with the 解读材料 for a policy document under a "
    "profile that publishes interpretation together, e.g. national; see the README)",
    "interpretation_material": "解读材料 (see interpretation_plan)",
    "redacted_version": "删减后公开的版本 (for 删减后公开)",
    "other": "other attachments (optional, repeatable)",
}


def safe_filename(name: str) -> str:
    """The basename only, without control characters or NUL, at most 120 characters."""
    base = PureWindowsPath(PurePosixPath(name.replace("\x00", "")).name).name
    cleaned = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    if len(cleaned) > MAX_NAME_CHARS:
        _, dot, suffix = cleaned.rpartition(".")
        keep = suffix if dot and len(suffix) <= 10 else ""
        cleaned = cleaned[: MAX_NAME_CHARS - len(keep) - 1].rstrip() + ("." + keep if keep else "")
    return cleaned or "upload"


class _TextSniffer:
    """Decides, while streaming, whether content is UTF-8 or GB18030 text without control junk."""

    def __init__(self) -> None:
        self._decoders = {
            TXT: codecs.getincrementaldecoder("utf-8-sig")(),
            TXT_GB18030: codecs.getincrementaldecoder("gb18030")(),
        }

    def feed(self, chunk: bytes | memoryview, *, final: bool = False) -> None:
        for media_type, decoder in list(self._decoders.items()):
            try:
                text = decoder.decode(chunk, final=final)
            except UnicodeDecodeError:
                del self._decoders[media_type]
                continue
            if any(
                unicodedata.category(c) == "Cc" and c not in _TEXT_CONTROLS_ALLOWED for c in text
            ):
                del self._decoders[media_type]

    @property
    def media_type(self) -> str | None:
        return next(iter(self._decoders), None)


class FileStager:
    """Receives one upload chunk by chunk: hashes it, enforces the limit, types it by content."""

    def __init__(
        self, files_dir: Path, *, original_name: str, max_bytes: int, kind: str = "main"
    ) -> None:
        self.kind = kind
        self._files_dir = files_dir
        self.path = files_dir / STAGING / f"{uuid.uuid4().hex}.part"
        self.original_name = safe_filename(original_name)
        self._max_bytes = max_bytes
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = b""
        self._sniffer: _TextSniffer | None = _TextSniffer()
        try:
            self._file = self.path.open("xb")
        except FileNotFoundError:  # the first upload (or the folder was removed): make it
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("xb")

    def write(self, chunk: bytes | memoryview) -> None:
        """Append a chunk; refuse as soon as the file passes the size limit."""
        self._size += len(chunk)
        if self._size > self._max_bytes:
            self.discard()
            raise UploadTooLarge(
                f"“{self.original_name}” is larger than the limit of {self._max_bytes} bytes."
            )
        if len(self._head) < len(_OLE2_MAGIC):
            self._head = (self._head + chunk)[: len(_OLE2_MAGIC)]
            if self._head.startswith((_PDF_MAGIC, _ZIP_MAGIC, _OLE2_MAGIC)):
                self._sniffer = None  # binary: typed by magic (and zip content) instead
        if self._sniffer is not None:
            self._sniffer.feed(chunk)
        self._hash.update(chunk)
        self._file.write(chunk)

    def finish(self) -> StagedFile:
        """Close the file and type it: PDF by magic, DOCX or OFD by its zip parts, else text."""
        self._file.close()
        if self._size == 0:
            self.discard()
            raise EmptyFile(f"“{self.original_name}” is empty.")
        if self._head.startswith(_OLE2_MAGIC):
            self.discard()
            raise UnsupportedFileType(
                f"“{self.original_name}” is a legacy Word/WPS file (.doc/.wps), which is not "
                "read here; save it as DOCX, OFD or PDF and upload that."
            )
        media_type = self._media_type()
        if media_type is None:
            self.discard()
            raise UnsupportedFileType(
                f"“{self.original_name}” is not a PDF, DOCX, OFD or plain-text (UTF-8/GB18030) "
                "file; its content decides the type, not its name."
            )
        claimed = _CLAIMED_BY_SUFFIX.get(PurePosixPath(self.original_name).suffix.lower())
        if claimed is not None and media_type not in claimed:
            self.discard()
            raise UnsupportedFileType(
                f"“{self.original_name}” is named like {claimed[0]} but its content is "
                f"{media_type}; upload the real file or name it for what it is."
            )
        sha256 = self._hash.hexdigest()
        synced = _SYNCS.submit(
            storage.prepare_place, files_dir=self._files_dir, path=self.path, sha256=sha256
        )
        return StagedFile(
            self.kind,
            self.path,
            sha256,
            self._size,
            media_type,
            self.original_name,
            synced,
        )

    def discard(self) -> None:
        """Close and remove the partial file."""
        if not self._file.closed:
            self._file.close()
        self.path.unlink(missing_ok=True)

    def _media_type(self) -> str | None:
        if self._head.startswith(_PDF_MAGIC):
            return PDF
        if self._head.startswith(_ZIP_MAGIC):
            return _package_type(self.path)
        if self._sniffer is None:
            return None
        self._sniffer.feed(b"", final=True)
        return self._sniffer.media_type


def _package_type(path: Path) -> str | None:
    """A zip package's type: DOCX (word/document.xml) or OFD (OFD.xml, GB/T 33190 §7.4)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError):
        return None
    if "word/document.xml" in names:
        return DOCX
    return OFD if "OFD.xml" in names else None


@dataclass(frozen=True, slots=True)
class UploadLimits:
    """Explicit limits of one upload request."""

    max_file_bytes: int
    max_request_bytes: int
    max_files: int
    max_fields: int = MAX_FIELDS
    max_field_bytes: int = MAX_FIELD_BYTES


@dataclass(slots=True)
class ReceivedForm:
    """The form fields (all values per name) and the staged files of one request."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    uploads: list[StagedFile] = field(default_factory=list)

    def discard(self) -> None:
        """Remove every staged file (the request was refused)."""
        for upload in self.uploads:
            upload.discard()


class _Receiver:
    """python-multipart callbacks that route file bytes to a FileStager and keep small fields."""

    def __init__(self, files_dir: Path, file_kinds: dict[str, str], limits: UploadLimits) -> None:
        self.files_dir, self.file_kinds, self.limits = files_dir, file_kinds, limits
        self.form = ReceivedForm()
        self._header_name = b""
        self._header_value = b""
        self._disposition = b""
        self._name = ""
        self._stager: FileStager | None = None
        self._data = bytearray()
        self._files = 0
        self._fields = 0

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
        }

    def on_part_begin(self) -> None:
        self._disposition, self._name, self._stager = b"", "", None
        self._data = bytearray()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def on_header_end(self) -> None:
        if self._header_name.lower() == b"content-disposition":
            self._disposition = self._header_value
        self._header_name, self._header_value = b"", b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self._disposition)
        if b"name" not in options:
            raise RequestInvalid("a multipart part has no name")
        self._name = _text(options[b"name"], "part name")
        if b"filename" not in options:
            self._fields += 1
            if self._fields > self.limits.max_fields:
                raise RequestInvalid(f"too many form fields (at most {self.limits.max_fields})")
            return
        if self._name not in self.file_kinds:
            expected = ", ".join(self.file_kinds)
            raise RequestInvalid(f"unexpected file field '{self._name}'; expected: {expected}")
        self._files += 1
        if self._files > self.limits.max_files:
            raise RequestInvalid(f"too many files (at most {self.limits.max_files})")
        self._stager = FileStager(
            self.files_dir,
            original_name=_text(options[b"filename"], "filename"),
            max_bytes=self.limits.max_file_bytes,
            kind=self.file_kinds[self._name],
        )

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._stager is not None:
            self._stager.write(memoryview(data)[start:end])  # no copy of the file's bytes
            return
        self._data += data[start:end]
        if len(self._data) > self.limits.max_field_bytes:
            raise RequestInvalid(
                f"field '{self._name}' is longer than {self.limits.max_field_bytes} bytes"
            )

    def on_part_end(self) -> None:
        if self._stager is None:
            value = _text(bytes(self._data), f"field '{self._name}'")
            self.form.fields.setdefault(self._name, []).append(value)
            return
        stager, self._stager = self._stager, None
        self.form.uploads.append(stager.finish())

    def abort(self) -> None:
        if self._stager is not None:
            self._stager.discard()
        self.form.discard()


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RequestInvalid(f"{what} is not valid UTF-8") from None


def limits_of(settings: Settings) -> UploadLimits:
    """The upload limits from settings."""
    return UploadLimits(
        max_file_bytes=settings.max_upload_bytes,
        max_request_bytes=settings.max_request_bytes,
        max_files=1 + settings.max_attachments,
    )


async def receive_form(
    request: Request, *, files_dir: Path, file_kinds: dict[str, str], limits: UploadLimits
) -> ReceivedForm:
    """Parse a multipart/form-data request from its stream; file fields map to upload kinds."""
    content_type, params = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in params:
        raise RequestInvalid("send the submission as multipart/form-data")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limits.max_request_bytes:
        raise UploadTooLarge(f"the request is larger than {limits.max_request_bytes} bytes")
    receiver = _Receiver(files_dir, file_kinds, limits)
    parser = MultipartParser(params[b"boundary"], receiver.callbacks())  # type: ignore[arg-type]
    received = 0
    try:
        async for chunk in request.stream():
            received += len(chunk)
            if received > limits.max_request_bytes:
                raise UploadTooLarge(f"the request is larger than {limits.max_request_bytes} bytes")
            parser.write(chunk)
        parser.finalize()
    except FormParserError as error:
        receiver.abort()
        raise RequestInvalid(f"malformed multipart body: {error}") from None
    except BaseException:  # refusals, disconnects, disk errors: keep nothing half-stored
        receiver.abort()
        raise
    return receiver.form


def form_request_body(
    fields: type[BaseModel] | None, files: dict[str, str] = FILE_DESCRIPTIONS
) -> dict[str, Any]:
    """The multipart request body for OpenAPI: the form's fields and its binary file fields."""
    schema = fields.model_json_schema() if fields is not None else {}
    definitions = describe_enums(schema.get("$defs", {}))
    properties = _inline(dict(schema.get("properties", {})), definitions)
    for name, description in files.items():
        properties[name] = {"type": "string", "format": "binary", "description": description}
    required = [*schema.get("required", []), *(["file"] if "file" in files else [])]
    body = {"type": "object", "properties": properties} | (
        {"required": required} if required else {}
    )
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": body}}}}


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """Replace local $refs by their definitions (the form schema lives inside the route)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {k: _inline(v, defs) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline(v, defs) for v in node]
    return node
