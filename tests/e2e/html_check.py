#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Opens a report.html in a real browser (Debian's chromium, headless, through
selenium and chromium-driver: apt-get install chromium chromium-driver python3-selenium)
and checks what it shows.  Prints key=value lines for the C tests (every key, also when
a check cannot run: 0), '# ...' lines for people; exit 2 only when the browser cannot
start or the page does not draw.

  html_check.py PAGE [--flame ID] [--value I] [--summary JSON --total-key KEY]
                     [--gc-pauses N] [--search TEXT] [--screenshot OUT.png]

  ready               the page set body[data-ready] (it drew without throwing)
  console_errors      browser log entries of level SEVERE or WARNING
  network_requests    requests for anything but the page itself (performance log), and
                      elements that would load by URL
  size_bytes          the file's size
  flame_root_value    the flame graph ID's root (value I) after load
  root_matches_summary  ... equals SUMMARY[KEY]
  zoom_changes_root   clicking the widest frame under the root makes it the root
  zoom_out_restores   clicking the root then makes the previous root the root again
  search_hl           frames highlighted for TEXT; search_all_match: exactly those whose
                      name contains TEXT
  has_alloc_frames, toggle_changes   the allocator-frame toggle shows more frames
  timeline_pauses     .gmt-pause marks; pauses_match: as many as N
  screenshot_nonblank at least 2 % of the pixels differ from the commonest colour and
                      more than 16 colours (PNG decoded here, stdlib only)
"""
import argparse
import json
import os
import struct
import sys
import tempfile
import time
import zlib
from collections import Counter

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.action_chains import ActionChains

KEYS = ["ready", "console_errors", "network_requests", "size_bytes", "flame_root_value",
        "summary_total", "root_matches_summary", "zoom_changes_root", "zoom_out_restores",
        "search_hl", "search_all_match", "has_alloc_frames", "toggle_changes",
        "timeline_pauses", "pauses_match", "screenshot_nonblank"]


def png_pixels(path):
    """(width, height, rows of bytes, bytes per pixel) of an 8-bit RGB/RGBA PNG."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, hgt, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and ctype in (2, 6) and not interlace, "unexpected PNG layout"
            bpp = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(hgt):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return w, hgt, rows, bpp


def nonblank(path):
    w, hgt, rows, bpp = png_pixels(path)
    colors = Counter()
    for y in range(0, hgt, 2):  # every other row and column: enough, and quick
        r = rows[y]
        for x in range(0, w, 2):
            colors[r[x * bpp:x * bpp + 3]] += 1
    total = sum(colors.values())
    common = colors.most_common(1)[0][1]
    print(f"# screenshot {w}x{hgt}: {len(colors)} colours, {100 * (total - common) / total:.1f} % "
          "not the commonest")
    return int((total - common) / total >= 0.02 and len(colors) > 16)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--flame", default=None)
    ap.add_argument("--value", type=int, default=0)
    ap.add_argument("--summary")
    ap.add_argument("--total-key")
    ap.add_argument("--gc-pauses", type=int)
    ap.add_argument("--search")
    ap.add_argument("--screenshot")
    a = ap.parse_args()
    r = {k: 0 for k in KEYS}
    page = os.path.abspath(a.page)
    r["size_bytes"] = os.path.getsize(page)

    o = Options()
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1400,1000",
                "--disable-dev-shm-usage"):
        o.add_argument(arg)
    o.binary_location = "/usr/bin/chromium"
    o.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        d = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=o)
    except Exception as e:  # noqa: BLE001 - say why and stop
        print(f"html_check: the browser does not start: {e}", file=sys.stderr)
        sys.exit(2)
    try:
        d.get("file://" + page)
        for _ in range(600):
            if d.execute_script("return document.body && document.body.dataset.ready === '1'"):
                r["ready"] = 1
                break
            time.sleep(0.1)
        if not r["ready"]:
            for e in d.get_log("browser"):
                print(f"# console: {e['level']} {e['message']}")
            print("html_check: the page did not draw", file=sys.stderr)
            for k in KEYS:
                print(f"{k}={r[k]}")
            sys.exit(2)
        flame = None
        sel = ".gmt-flame" + (f"[data-id='{a.flame}']" if a.flame else "")
        found = d.find_elements(By.CSS_SELECTOR, sel)
        if found:
            flame = found[0]

        def root():
            e = flame.find_element(By.CSS_SELECTOR, ".gmt-frame.gmt-root")
            return e.get_attribute("data-name"), int(e.get_attribute("data-value"))

        if flame is not None:
            d.execute_script("const s = arguments[0]; s.value = String(arguments[1]); "
                             "s.dispatchEvent(new Event('change'));",
                             flame.find_element(By.CSS_SELECTOR, ".gmt-flame-value"), a.value)
            name, val = root()
            r["flame_root_value"] = val
            print(f"# flame {a.flame}: root {name} = {val}")
            if a.summary:
                r["summary_total"] = json.load(open(a.summary))[a.total_key]
                r["root_matches_summary"] = int(val == r["summary_total"])
            # zoom: the widest frame one level under the root
            kids = d.execute_script(
                "const b = arguments[0].querySelector('.gmt-flame-body');"
                "const root = b.querySelector('.gmt-root');"
                "return [...b.querySelectorAll('.gmt-frame')].filter(e => e.gmtNode.parent === root.gmtNode)"
                ".sort((x, y) => y.offsetWidth - x.offsetWidth).slice(0, 1);", flame)
            if kids:
                k = kids[0]
                kname, kval = k.get_attribute("data-name"), int(k.get_attribute("data-value"))
                ActionChains(d).move_to_element(k).click().perform()
                n2, v2 = root()
                r["zoom_changes_root"] = int(n2 == kname and v2 == kval and n2 != name)
                print(f"# clicked {kname} ({kval}): root now {n2} ({v2})")
                rt = flame.find_element(By.CSS_SELECTOR, ".gmt-frame.gmt-root")
                ActionChains(d).move_to_element(rt).click().perform()
                n3, v3 = root()
                r["zoom_out_restores"] = int(n3 == name and v3 == val)
            if a.search:
                box = flame.find_element(By.CSS_SELECTOR, ".gmt-flame-search")
                box.send_keys(a.search)
                res = d.execute_script(
                    "const fs = [...arguments[0].querySelectorAll('.gmt-flame-body .gmt-frame')];"
                    "return [fs.filter(e => e.classList.contains('gmt-hl')).length,"
                    " fs.every(e => e.classList.contains('gmt-hl') === e.dataset.name.includes(arguments[1])),"
                    " Number(arguments[0].querySelector('.gmt-flame-matches').dataset.matched)];",
                    flame, a.search)
                r["search_hl"] = res[0]
                r["search_all_match"] = int(res[1] and res[2] == res[0])
                print(f"# search {a.search!r}: {res[0]} highlighted, matches says {res[2]}")
                box.clear()
                d.execute_script("arguments[0].dispatchEvent(new Event('input'))", box)
            tog = flame.find_element(By.CSS_SELECTOR, ".gmt-flame-rtoggle")
            r["has_alloc_frames"] = int(not tog.get_attribute("disabled"))
            if r["has_alloc_frames"]:
                before = len(flame.find_elements(By.CSS_SELECTOR, ".gmt-frame"))
                tog.click()
                after = len(flame.find_elements(By.CSS_SELECTOR, ".gmt-frame"))
                r["toggle_changes"] = int(after > before)
                print(f"# allocator frames shown: {before} -> {after} frames")
                tog.click()
        r["timeline_pauses"] = len(d.find_elements(By.CSS_SELECTOR, "#gmt-timeline .gmt-pause"))
        if a.gc_pauses is not None:
            r["pauses_match"] = int(r["timeline_pauses"] == a.gc_pauses)
        d.execute_script("window.scrollTo(0, 0)")
        shot = a.screenshot or tempfile.mktemp(suffix=".png")
        d.save_screenshot(shot)
        r["screenshot_nonblank"] = nonblank(shot)
        if not a.screenshot:
            os.unlink(shot)
        for e in d.get_log("browser"):
            if e["level"] in ("SEVERE", "WARNING"):
                r["console_errors"] += 1
                print(f"# console: {e['level']} {e['message']}")
        own = "file://" + page
        for e in d.get_log("performance"):
            m = json.loads(e["message"])["message"]
            if m.get("method") == "Network.requestWillBeSent":
                url = m["params"]["request"]["url"]
                if url != own and not url.startswith("data:"):
                    r["network_requests"] += 1
                    print(f"# request: {url}")
        r["network_requests"] += d.execute_script(
            "return [...document.querySelectorAll('[src],link[href]')]"
            ".filter(e => !/^data:/.test(e.getAttribute('src') || e.getAttribute('href'))).length")
    finally:
        d.quit()
    for k in KEYS:
        print(f"{k}={r[k]}")


if __name__ == "__main__":
    main()
