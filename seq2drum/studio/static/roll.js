// The piano roll of a song or a take: a window of bars (16 at first) drawn large enough to tell single hits apart,
// with buttons to zoom and page, an overview of the whole song to click or drag, and the ruler above it (the section
// letters on one line, the bar numbers on the line below, so the two never overlap). The parts the drums listened
// to are drawn each in its own band (the guitar, then the bass and the rest of the band), the drums below them in one
// row per drum class. Times are seconds; bars are their start times, the last entry the end of the last bar.
"use strict";

const Roll = (() => {
  const BACKGROUND = "#fbfaf7";
  const ROLE_COLOURS = {guitar: "#d9822b", bass: "#2b6cb0", keys: "#38a169", melody: "#805ad5", other: "#8a8a8a"};
  const ROLE_ORDER = ["guitar", "bass", "keys", "melody", "other"];
  const LANE_COLOURS = ["#2d3748", "#c53030", "#b7791f", "#d69e2e", "#2c7a7b", "#319795", "#4fd1c5", "#9f7aea",
                        "#dd6b20", "#a0aec0"];
  const LEFT = 76, RIGHT = 8, LANE_PX = 14, BAND_GAP = 6, OVERVIEW_PX = 26;
  const FIRST_BARS = 16;  // the window a roll opens with: 16 bars of 16 steps leave about 3 px a step
  const RULER_FONT = "11px system-ui, sans-serif";
  const measure = document.createElement("canvas").getContext("2d");

  function element(tag, className, text) {
    const made = document.createElement(tag);
    if (className) made.className = className;
    if (text) made.textContent = text;
    return made;
  }

  function sized(canvas, height) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(320, canvas.clientWidth || canvas.parentElement.clientWidth || 900);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = height + "px";
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    context.fillStyle = BACKGROUND;
    context.fillRect(0, 0, width, height);
    return {context, width};
  }

  // The bands of parts to draw, in ROLE_ORDER: [{role, notes, low, high}]. view.roles maps a part's index to its
  // role; parts it leaves out (the drums did not listen to them) are not drawn.
  function bands(view) {
    const byRole = {};
    for (const note of view.notes || []) {
      const role = view.roles[note[3]];
      if (!role) continue;
      const band = byRole[role] || (byRole[role] = {role, notes: [], low: 127, high: 0});
      band.notes.push(note);
      band.low = Math.min(band.low, note[2]);
      band.high = Math.max(band.high, note[2]);
    }
    return ROLE_ORDER.filter((role) => byRole[role]).map((role) => {
      const band = byRole[role];
      band.rows = Math.max(12, band.high - band.low + 1);
      band.height = Math.min(role === "guitar" ? 110 : 80, Math.max(44, band.rows * 3));
      return band;
    });
  }

  // A bar-number step (1, 2, 4 ...) wide enough for the widest number at `barPx` pixels a bar.
  function numberStep(barPx, lastBar) {
    measure.font = RULER_FONT;
    const widest = measure.measureText(String(lastBar)).width + 8;
    let step = 1;
    while (step * barPx < widest) step *= 2;
    return step;
  }

  function create() {
    const box = element("div", "roll-box");
    const tools = element("div", "roll-tools");
    const buttons = {};
    for (const [name, text, title] of [["back", "◀", "earlier bars"], ["forward", "▶", "later bars"],
                                       ["out", "−", "zoom out: more bars"], ["in", "+", "zoom in: fewer bars"],
                                       ["whole", "whole song", "show every bar"]]) {
      buttons[name] = element("button", "roll-" + name, text);
      buttons[name].type = "button";
      buttons[name].title = title;
    }
    const range = element("span", "roll-range note");
    tools.append(buttons.back, buttons.forward, buttons.out, buttons.in, buttons.whole, range);
    const overview = element("canvas", "roll-overview");
    overview.title = "the whole song: click or drag to choose the bars shown";
    const ruler = element("div", "roll-ruler");
    const canvas = element("canvas", "roll");
    box.append(tools, overview, ruler, canvas);

    const shown = {first: 0, count: FIRST_BARS};  // bar indices from 0
    let view = null, drawn = null;

    const barCount = () => Math.max(1, view.bars.length - 1);
    function show(first, count) {
      const total = barCount();
      shown.count = Math.max(1, Math.min(total, Math.round(count)));
      shown.first = Math.max(0, Math.min(total - shown.count, Math.round(first)));
      paint();
    }

    function paint() {
      if (!view) return;
      const total = barCount();
      const {first, count} = shown;
      box.dataset.firstBar = String(first + 1);
      box.dataset.lastBar = String(first + count);
      box.dataset.bars = String(total);
      range.textContent = `bars ${first + 1}–${first + count} of ${total}`;
      buttons.back.disabled = first === 0;
      buttons.forward.disabled = first + count >= total;
      buttons.in.disabled = count <= 2;
      buttons.out.disabled = buttons.whole.disabled = count >= total;
      const start = view.bars[first], end = view.bars[first + count];
      drawRoll(start, end);
      // the overview and the ruler change with the window, not with the playhead: not redrawn every frame of play
      const key = [view.bars, view.notes, view.drums, first, count, canvas.clientWidth];
      if (!drawn || key.some((part, index) => part !== drawn[index])) {
        drawOverview(start, end);
        drawRuler(start, end);
        drawn = key;
      }
    }

    function drawRoll(start, end) {
      const parts = bands(view);
      const drums = view.drums && view.drums.length ? view.drums : null;
      let height = 4;
      for (const band of parts) height += band.height + BAND_GAP;
      if (drums) height += view.lanes.length * LANE_PX;
      const {context, width} = sized(canvas, Math.max(height, 60));
      const x = (seconds) => LEFT + ((seconds - start) / (end - start)) * (width - LEFT - RIGHT);
      context.save();
      context.beginPath();
      context.rect(LEFT, 0, width - LEFT - RIGHT, height);
      context.clip();
      drawBarLines(context, x, start, end, height);
      context.restore();
      context.font = "10px system-ui, sans-serif";
      let y = 2;
      for (const band of parts) {
        drawBand(context, band, x, y, start, end, width);
        y += band.height + BAND_GAP;
      }
      if (drums) drawDrums(context, drums, x, y, start, end, width);
      if (view.playhead != null && view.playhead >= start && view.playhead <= end) {
        context.fillStyle = "#e53e3e";
        context.fillRect(x(view.playhead) - 1, 0, 2, height);
      }
    }

    function drawBarLines(context, x, start, end, height) {
      const letters = sectionsByBar();
      view.bars.forEach((seconds, index) => {
        if (seconds < start || seconds > end) return;
        context.fillStyle = letters[index] ? "#4a5568" : "#e2e0da";
        context.fillRect(Math.round(x(seconds)), 0, letters[index] ? 2 : 1, height);
      });
    }

    function drawBand(context, band, x, top, start, end, width) {
      const rowPx = band.height / band.rows;
      context.fillStyle = "#f3f1ec";
      context.fillRect(0, top, LEFT - 4, band.height);
      context.fillStyle = "#4a5568";
      context.fillText(band.role, 6, top + 12);
      context.fillStyle = ROLE_COLOURS[band.role];
      const right = width - RIGHT;
      for (const [on, off, pitch] of band.notes) {
        if (off < start || on > end) continue;
        const left = Math.max(LEFT, x(on));
        const length = Math.min(right, x(off)) - left - 0.5;
        context.fillRect(left, top + (band.high - pitch) * rowPx, Math.max(1.5, length), Math.max(1.5, rowPx - 0.5));
      }
    }

    function drawDrums(context, hits, x, top, start, end, width) {
      view.lanes.forEach((lane, index) => {
        context.fillStyle = index % 2 ? "#f3f1ec" : BACKGROUND;
        context.fillRect(0, top + index * LANE_PX, width, LANE_PX);
        context.fillStyle = "#4a5568";
        context.fillText(lane.replace("_", " "), 6, top + (index + 0.75) * LANE_PX);
      });
      const stepPx = (width - LEFT - RIGHT) / shown.count / 16;
      const hitPx = Math.max(2, Math.min(6, stepPx * 0.7));
      for (const [at, lane, velocity] of hits) {
        if (at < start || at >= end) continue;
        context.globalAlpha = 0.35 + 0.65 * (velocity / 127);
        context.fillStyle = LANE_COLOURS[lane] || LANE_COLOURS[LANE_COLOURS.length - 1];
        context.fillRect(x(at) - hitPx / 2, top + lane * LANE_PX + 1, hitPx, LANE_PX - 2);
      }
      context.globalAlpha = 1;
    }

    function drawOverview(start, end) {
      const {context, width} = sized(overview, OVERVIEW_PX);
      const songEnd = view.bars[view.bars.length - 1] || 1;
      const x = (seconds) => LEFT + (seconds / songEnd) * (width - LEFT - RIGHT);
      context.fillStyle = "#4a5568";
      context.font = "10px system-ui, sans-serif";
      context.fillText("whole song", 6, 16);
      context.fillStyle = "#cbd5e0";
      for (const note of view.notes || []) {
        if (view.roles[note[3]]) context.fillRect(x(note[0]), 3, Math.max(1, x(note[1]) - x(note[0])), 9);
      }
      context.fillStyle = "#718096";
      for (const [at] of view.drums || []) context.fillRect(x(at), 14, 1, 9);
      context.fillStyle = "rgba(217, 130, 43, 0.25)";
      context.fillRect(x(start), 0, Math.max(3, x(end) - x(start)), OVERVIEW_PX);
      context.strokeStyle = "#d9822b";
      context.strokeRect(x(start) + 0.5, 0.5, Math.max(3, x(end) - x(start)) - 1, OVERVIEW_PX - 1);
    }

    function sectionsByBar() {
      const letters = {};
      for (const section of view.sections || []) {
        const [letter, bar] = section.split("@");
        letters[Number(bar) - 1] = letter;
      }
      return letters;
    }

    // The ruler: section letters on its first line, bar numbers on its second, each a label of its own (a label that
    // would touch the one before it on its line is left out; its bar line is still drawn).
    function drawRuler(start, end) {
      const width = canvas.clientWidth || 900;
      const x = (seconds) => LEFT + ((seconds - start) / (end - start)) * (width - LEFT - RIGHT);
      const step = numberStep((width - LEFT - RIGHT) / shown.count, barCount());
      const letters = sectionsByBar();
      const labels = [];
      const reach = {letter: -Infinity, number: -Infinity};
      for (let index = shown.first; index < shown.first + shown.count; index++) {
        const left = x(view.bars[index]) + 3;
        for (const [kind, text] of [["letter", letters[index]], ["number", index % step === 0 && String(index + 1)]]) {
          if (!text || left < reach[kind] + 6) continue;
          measure.font = (kind === "letter" ? "bold " : "") + RULER_FONT;
          reach[kind] = left + measure.measureText(text).width;
          const label = element("span", kind === "letter" ? "section-letter" : "bar-number", text);
          label.style.left = left + "px";
          labels.push(label);
        }
      }
      ruler.replaceChildren(...labels);
    }

    function at(event, target) {
      const rect = target.getBoundingClientRect();
      return (event.clientX - rect.left - LEFT) / (rect.width - LEFT - RIGHT);
    }

    // The overview: the window centred on the bar under the pointer, as it is pressed and dragged.
    function centre(event) {
      const seconds = at(event, overview) * view.bars[view.bars.length - 1];
      let bar = view.bars.findIndex((start) => start > seconds) - 1;
      if (bar < 0) bar = seconds <= 0 ? 0 : barCount() - 1;
      show(bar - shown.count / 2 + 0.5, shown.count);
    }
    overview.addEventListener("pointerdown", (event) => {
      if (!view) return;
      overview.setPointerCapture(event.pointerId);
      centre(event);
    });
    overview.addEventListener("pointermove", (event) => {
      if (view && overview.hasPointerCapture(event.pointerId)) centre(event);
    });
    // The roll itself: dragged sideways, or scrolled sideways (a trackpad, or shift and the wheel), it moves by bars.
    let dragFrom = null;
    canvas.addEventListener("pointerdown", (event) => {
      if (!view) return;
      canvas.setPointerCapture(event.pointerId);
      dragFrom = {position: at(event, canvas), first: shown.first};
    });
    canvas.addEventListener("pointermove", (event) => {
      if (!dragFrom || !canvas.hasPointerCapture(event.pointerId)) return;
      show(dragFrom.first - (at(event, canvas) - dragFrom.position) * shown.count, shown.count);
    });
    canvas.addEventListener("pointerup", () => { dragFrom = null; });
    let wheel = 0;
    canvas.addEventListener("wheel", (event) => {
      const sideways = event.shiftKey ? event.deltaY : event.deltaX;
      if (!view || !sideways) return;
      event.preventDefault();
      wheel += sideways;
      const bars = Math.trunc(wheel / 40);
      if (bars) {
        wheel -= bars * 40;
        show(shown.first + bars, shown.count);
      }
    }, {passive: false});
    buttons.back.addEventListener("click", () => show(shown.first - shown.count, shown.count));
    buttons.forward.addEventListener("click", () => show(shown.first + shown.count, shown.count));
    // Zoom steps are powers of two (2, 4, 8, 16 ... bars), the window's middle kept where it was.
    function zoom(count) {
      show(shown.first + (shown.count - count) / 2, count);
    }
    buttons.in.addEventListener("click", () => zoom(2 ** Math.ceil(Math.log2(shown.count) - 1)));
    buttons.out.addEventListener("click", () => zoom(2 ** Math.floor(Math.log2(shown.count) + 1)));
    buttons.whole.addEventListener("click", () => show(0, barCount()));

    // view: {bars, notes, roles, drums, lanes, sections, playhead}. A new song or take opens on its first bars; a
    // playhead past the window turns the page to it.
    function draw(next) {
      const fresh = !view || view.bars !== next.bars;
      view = next;
      if (fresh) {
        shown.first = 0;
        shown.count = Math.min(FIRST_BARS, barCount());
      }
      if (view.playhead != null) {
        const bar = view.bars.findIndex((start) => start > view.playhead) - 1;
        if (bar >= 0 && (bar < shown.first || bar >= shown.first + shown.count)) {
          show(bar, shown.count);
          return;
        }
      }
      show(shown.first, shown.count);
    }

    return {element: box, draw};
  }

  return {create, BACKGROUND};
})();
