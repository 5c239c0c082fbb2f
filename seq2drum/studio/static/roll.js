// The piano roll, drawn in a canvas: the song's parts by pitch above, the drums in one row per drum class below,
// bar lines, the sections (letter at their first bar), and the playhead while a take plays. Times are seconds.
"use strict";

const Roll = (() => {
  const BACKGROUND = "#fbfaf7";
  const ROLE_COLOURS = {guitar: "#d9822b", bass: "#2b6cb0", keys: "#38a169", melody: "#805ad5", other: "#8a8a8a"};
  const LANE_COLOURS = ["#2d3748", "#c53030", "#b7791f", "#d69e2e", "#2c7a7b", "#319795", "#4fd1c5", "#9f7aea",
                        "#dd6b20", "#a0aec0"];
  const LEFT = 76, TOP = 18, BOTTOM = 4;

  function size(canvas, height) {
    const ratio = window.devicePixelRatio || 1;
    const width = Math.max(320, canvas.clientWidth || canvas.parentElement.clientWidth || 900);
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.height = height + "px";
    const context = canvas.getContext("2d");
    context.setTransform(ratio, 0, 0, ratio, 0, 0);
    return {context, width, height};
  }

  // view: {bars, notes, parts, drums, lanes, sections, songDrums, playhead}
  function draw(canvas, view) {
    const hasDrums = view.drums && view.drums.length > 0;
    const hasNotes = view.notes && view.notes.length > 0;
    const height = (hasNotes ? 150 : 0) + (hasDrums || view.songDrums ? 150 : 0) + TOP + BOTTOM;
    const {context, width} = size(canvas, Math.max(height, 80));
    context.fillStyle = BACKGROUND;
    context.fillRect(0, 0, width, canvas.height);
    let end = Math.max(1, view.bars.length ? view.bars[view.bars.length - 1] : 1);
    for (const note of view.notes || []) end = Math.max(end, note[1]);
    const x = (seconds) => LEFT + (seconds / end) * (width - LEFT - 8);
    let y = TOP;
    drawBars(context, view, x, height);
    if (hasNotes) {
      drawNotes(context, view, x, y, 140);
      y += 150;
    }
    const drums = hasDrums ? view.drums : view.songDrums || [];
    if (hasDrums || view.songDrums) drawDrums(context, view.lanes, drums, x, y, 140);
    if (view.playhead != null) {
      context.fillStyle = "#e53e3e";
      context.fillRect(x(view.playhead) - 1, 0, 2, height);
    }
  }

  function drawBars(context, view, x, height) {
    const sections = {};
    for (const section of view.sections || []) {
      const [letter, bar] = section.split("@");
      sections[Number(bar) - 1] = letter;
    }
    context.font = "11px system-ui, sans-serif";
    view.bars.forEach((seconds, index) => {
      const letter = sections[index];
      context.fillStyle = letter ? "#4a5568" : "#e2e0da";
      context.fillRect(Math.round(x(seconds)), letter ? 0 : TOP, letter ? 2 : 1, height);
      if (letter) {
        context.fillStyle = "#2d3748";
        context.fillText(letter, x(seconds) + 4, 12);
      } else if (index % 4 === 0 && index < view.bars.length - 1) {
        context.fillStyle = "#a0a0a0";
        context.fillText(String(index + 1), x(seconds) + 3, 12);
      }
    });
  }

  function drawNotes(context, view, x, top, height) {
    let low = 127, high = 0;
    for (const [, , pitch] of view.notes) {
      low = Math.min(low, pitch);
      high = Math.max(high, pitch);
    }
    const rows = Math.max(12, high - low + 1);
    const rowHeight = height / rows;
    context.fillStyle = "#4a5568";
    context.fillText("the song", 6, top + 12);
    for (const [start, stop, pitch, part] of view.notes) {
      const role = view.parts && view.parts[part] ? view.parts[part].role : "other";
      context.fillStyle = ROLE_COLOURS[role] || ROLE_COLOURS.other;
      const left = x(start);
      context.fillRect(left, top + (high - pitch) * rowHeight, Math.max(1.5, x(stop) - left - 0.5),
                       Math.max(1.5, rowHeight - 0.5));
    }
  }

  function drawDrums(context, lanes, hits, x, top, height) {
    const laneHeight = height / lanes.length;
    context.font = "10px system-ui, sans-serif";
    lanes.forEach((lane, index) => {
      context.fillStyle = index % 2 ? "#f3f1ec" : BACKGROUND;
      context.fillRect(LEFT, top + index * laneHeight, context.canvas.width, laneHeight);
      context.fillStyle = "#4a5568";
      context.fillText(lane.replace("_", " "), 6, top + (index + 0.75) * laneHeight);
    });
    for (const [start, lane, velocity] of hits) {
      context.globalAlpha = 0.35 + 0.65 * (velocity / 127);
      context.fillStyle = LANE_COLOURS[lane] || LANE_COLOURS[LANE_COLOURS.length - 1];
      context.fillRect(x(start) - 1.5, top + lane * laneHeight + 1, 3, laneHeight - 2);
    }
    context.globalAlpha = 1;
  }

  return {draw, BACKGROUND};
})();
