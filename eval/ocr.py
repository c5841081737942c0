"""OCR accuracy and speed: seed paragraphs rendered as scanned pages and read back by the loader.

`python -m eval.ocr` renders paragraphs of the seed documents with DejaVu Sans, once as
a clean 300 dpi scan and once as a noisier one (rotated 1°, 150 dpi, JPEG quality 60),
saves each as an image-only PDF, reads it through `rag.ingest.loader.load` (Tesseract, Vietnamese
model, cache disabled) and reports the character error rate (edit distance / reference
length, whitespace runs folded to one space) and the seconds per page.
Targets: CER <= 2% clean, <= 5% noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
A4_INCHES = (8.27, 11.69)


def render_page(text: str, dpi: int = 300, font_pt: float = 11.0, rotate: float = 0.0):
    """A white A4 page image with `text` set in DejaVu Sans, wrapped to 1-inch margins.

    Paragraphs are separated by a blank line; returns a PIL image (mode "L").
    """
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(FONT, round(font_pt * dpi / 72))
    width, height = (round(x * dpi) for x in A4_INCHES)
    margin = dpi
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    line_height = round(font_pt * 1.5 * dpi / 72)
    y = margin
    for paragraph in text.split("\n\n"):
        line = ""
        for word in paragraph.split():
            trial = f"{line} {word}".strip()
            if draw.textlength(trial, font=font) > width - 2 * margin and line:
                draw.text((margin, y), line, font=font, fill=0)
                y += line_height
                line = word
            else:
                line = trial
        if line:
            draw.text((margin, y), line, font=font, fill=0)
            y += line_height
        y += line_height // 2
    if rotate:
        page = page.rotate(rotate, resample=Image.BICUBIC, expand=False, fillcolor=255)
    return page


def save_scan(pages: list, path: Path, dpi: int, jpeg_quality: int | None = None) -> None:
    """Page images as an image-only PDF (no text layer), optionally JPEG-compressed first."""
    from io import BytesIO

    from PIL import Image

    if jpeg_quality is not None:
        squeezed = []
        for page in pages:
            buffer = BytesIO()
            page.save(buffer, "JPEG", quality=jpeg_quality)
            squeezed.append(Image.open(BytesIO(buffer.getvalue())).convert("L"))
        pages = squeezed
    pages[0].save(path, "PDF", resolution=dpi, save_all=True, append_images=pages[1:])


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate: Levenshtein distance over the reference length, spaces folded.

    >>> round(cer("Quận 1 có", "Quân 1  có"), 3)
    0.111
    """
    ref, hyp = " ".join(reference.split()), " ".join(hypothesis.split())
    previous = list(range(len(hyp) + 1))
    for i, a in enumerate(ref, 1):
        current = [i]
        for j, b in enumerate(hyp, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a != b)))
        previous = current
    return previous[-1] / max(1, len(ref))


def seed_pages(count: int, chars: int = 1500) -> list[str]:
    """`count` page texts from the seed documents: whole paragraphs up to about `chars` each."""
    from rag.ingest.loader import load

    pages, current = [], ""
    for doc in sorted(load([ROOT / "seeds"]).documents, key=lambda d: d.source):
        for a, b in doc.spans:
            paragraph = " ".join(doc.text[a:b].split())
            if len(paragraph) < 80:
                continue
            if current and len(current) + len(paragraph) > chars:
                pages.append(current)
                current = ""
                if len(pages) == count:
                    return pages
            current = f"{current}\n\n{paragraph}" if current else paragraph[:chars]
    return pages + ([current] if current else [])


def measure(pages: list[str], dpi: int, rotate: float, jpeg_quality: int | None) -> dict:
    from rag.ingest.loader import load

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RAG_CACHE_DIR"] = tmp  # a cold cache: every page is really read
        images = [render_page(text, dpi=dpi, rotate=rotate) for text in pages]
        scan = Path(tmp) / "scan.pdf"
        save_scan(images, scan, dpi, jpeg_quality)
        t0 = time.perf_counter()
        doc = load([scan]).documents[0]
        seconds = time.perf_counter() - t0
    read = [doc.text[a:b] for a, b in zip(doc.pages, list(doc.pages[1:]) + [len(doc.text)])]
    rates = [cer(ref, hyp) for ref, hyp in zip(pages, read)]
    total_ref = sum(len(" ".join(p.split())) for p in pages)
    weighted = sum(r * len(" ".join(p.split())) for r, p in zip(rates, pages)) / total_ref
    return {
        "pages": len(pages),
        "dpi": dpi,
        "rotate": rotate,
        "jpeg_quality": jpeg_quality,
        "cer": round(weighted, 4),
        "worst_page_cer": round(max(rates), 4),
        "seconds_per_page": round(seconds / len(pages), 2),
        "ocr_pages": list(doc.ocr_pages),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m eval.ocr", description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "figures" / "ocr.json")
    args = parser.parse_args(argv)
    pages = seed_pages(args.pages)
    saved = os.environ.get("RAG_CACHE_DIR")
    try:
        results = {
            "clean": measure(pages, dpi=300, rotate=0.0, jpeg_quality=None),
            "noisy": measure(pages, dpi=150, rotate=1.0, jpeg_quality=60),
        }
    finally:
        if saved is None:
            os.environ.pop("RAG_CACHE_DIR", None)
        else:
            os.environ["RAG_CACHE_DIR"] = saved
    from rag.ingest import ocr

    results["engine"] = ocr.engine()
    results["targets"] = {"clean_cer": 0.02, "noisy_cer": 0.05}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(results, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
