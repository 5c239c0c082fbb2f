"""The README's picture of the studio (docs/studio.png): the shipped example, examples/riff.mid (a rhythm guitar
alone), dropped as it is on a studio running the shipped model, its B sections ticked and given the first B's second
part at once, two takes with seed 7 (set under More controls), take 1 playing; a palette PNG under 200 KB.

    python -m tools.studio_screenshot [--out docs/studio.png]

Needs Debian's chromium (apt-get install -y chromium) and playwright (requirements-tools.txt).
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "riff.mid"
MAX_BYTES = 200 * 1024


def shoot(url: str, song: bytes, out: Path) -> None:
    from PIL import Image
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required",
                                                   "--mute-audio"])
        page = browser.new_page(viewport={"width": 1280, "height": 1560})
        page.goto(url)
        page.wait_for_selector("body[data-ready=true]")
        page.set_input_files("#file", files=[{"name": "riff.mid", "mimeType": "audio/midi", "buffer": song}])
        page.wait_for_selector("#song:not([hidden])")
        page.wait_for_selector("#arrangement .section-row button.part")
        second = page.get_attribute("#arrangement .section-row[data-key='B#1'] button.part >> nth=1", "data-id")
        page.click(".pick-letter[data-letter='B']")  # every B at once: B#1's second part
        page.select_option(".pick-part", second)
        page.click("#more-controls summary")
        page.fill("#opt-seed", "7")
        page.fill("#opt-takes", "2")
        page.click("#more-controls summary")
        page.click("#generate")
        page.wait_for_selector(".take[data-take='2']")
        page.click(".take[data-take='1'] button.play")
        page.wait_for_function("() => document.querySelector('.take audio').currentTime > 9")
        page.evaluate("() => window.scrollTo(0, 0)")
        picture = Image.open(io.BytesIO(page.screenshot()))
        browser.close()
    small = picture.convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT)
    small.save(out, optimize=True)
    print(f"wrote {out}: {out.stat().st_size:,} bytes")
    if out.stat().st_size > MAX_BYTES:
        sys.exit(f"{out} is past {MAX_BYTES:,} bytes")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "studio.png")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    studio = subprocess.Popen([sys.executable, "-m", "seq2drum.studio", "--port", "0"], cwd=REPO, env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        line = studio.stdout.readline() if studio.stdout else ""
        if not line.startswith("seq2drum studio: http"):
            sys.exit(f"the studio did not start: {line}")
        shoot(line.split()[2], EXAMPLE.read_bytes(), args.out)
    finally:
        studio.send_signal(signal.SIGTERM)
        studio.wait(60)


if __name__ == "__main__":
    main()
