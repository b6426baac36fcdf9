/* QR code encoder for the console's two-factor enrolment (ISO/IEC 18004).
 *
 * Only what an otpauth:// URI needs: byte mode (UTF-8), error correction
 * level M (15% of the symbol may be lost: a phone camera at an angle),
 * versions 1 to 15 (up to 412 bytes, room for a 254-character email), the
 * mask chosen by the standard's four penalty rules. The secret never leaves
 * the page: no external service draws it.
 *
 * encode(text[, {mask}]) -> {version, mask, size, modules: [[bool]]}
 * svg(code, document[, {scale, quiet}]) -> an <svg> element built with DOM
 *   calls only (no markup parsed from strings, no inline style: the
 *   console's CSP allows none).
 *
 * An ES module without imports: the console's mfa.js and Node's tests
 * (tests/browser/qr.test.mjs) load it as it is.
 */

// Level M per version: [EC codewords per block, blocks of group 1, data
// codewords in each, blocks of group 2, data codewords in each] (table 9).
var BLOCKS_M = [null,
  [10, 1, 16, 0, 0], [16, 1, 28, 0, 0], [26, 1, 44, 0, 0], [18, 2, 32, 0, 0],
  [24, 2, 43, 0, 0], [16, 4, 27, 0, 0], [18, 4, 31, 0, 0], [22, 2, 38, 2, 39],
  [22, 3, 36, 2, 37], [26, 4, 43, 1, 44], [30, 1, 50, 4, 51], [22, 6, 36, 2, 37],
  [22, 8, 37, 1, 38], [24, 4, 40, 5, 41], [24, 5, 41, 5, 42]];
export var MAX_VERSION = BLOCKS_M.length - 1;
var FORMAT_M = 0;   // the two error correction level bits of M in the format word

function dataCapacity(version) {
  var b = BLOCKS_M[version];
  return b[1] * b[2] + b[3] * b[4];
}

// ---------------------------------------------------------- Reed-Solomon

// Product in GF(2^8) modulo x^8 + x^4 + x^3 + x^2 + 1 (0x11D).
function gfMul(x, y) {
  var z = 0;
  for (var i = 7; i >= 0; i--) {
    z = (z << 1) ^ ((z >>> 7) * 0x11D);
    z ^= ((y >>> i) & 1) * x;
  }
  return z;
}

// Generator polynomial of the given degree (leading 1 left out), highest power first.
function rsGenerator(degree) {
  var g = [];
  for (var i = 0; i < degree - 1; i++) g.push(0);
  g.push(1);
  var root = 1;
  for (i = 0; i < degree; i++) {
    for (var j = 0; j < g.length; j++) {
      g[j] = gfMul(g[j], root);
      if (j + 1 < g.length) g[j] ^= g[j + 1];
    }
    root = gfMul(root, 2);
  }
  return g;
}

// The EC codewords of a block: remainder of data(x) * x^n divided by g(x).
function rsRemainder(data, generator) {
  var r = generator.map(function () { return 0; });
  data.forEach(function (byte) {
    var factor = byte ^ r.shift();
    r.push(0);
    for (var i = 0; i < generator.length; i++) r[i] ^= gfMul(generator[i], factor);
  });
  return r;
}

// ------------------------------------------------------------- codewords

function utf8(text) {
  return Array.prototype.slice.call(new TextEncoder().encode(text));
}

// The data codewords: mode 0100, count, bytes, terminator, padding (7.4).
function dataCodewords(bytes, version) {
  var bits = [];
  function put(value, n) {
    for (var i = n - 1; i >= 0; i--) bits.push((value >>> i) & 1);
  }
  var capacity = dataCapacity(version) * 8;
  put(4, 4);
  put(bytes.length, version < 10 ? 8 : 16);
  bytes.forEach(function (b) { put(b, 8); });
  put(0, Math.min(4, capacity - bits.length));
  put(0, (8 - bits.length % 8) % 8);
  var out = [];
  for (var i = 0; i < bits.length; i += 8) {
    var v = 0;
    for (var j = 0; j < 8; j++) v = (v << 1) | bits[i + j];
    out.push(v);
  }
  for (var pad = 0xEC; out.length < capacity / 8; pad ^= 0xEC ^ 0x11) out.push(pad);
  return out;
}

// Blocks with their EC codewords, interleaved column by column (7.6).
function interleave(data, version) {
  var b = BLOCKS_M[version];
  var gen = rsGenerator(b[0]);
  var blocks = [];
  var at = 0;
  for (var i = 0; i < b[1] + b[3]; i++) {
    var len = i < b[1] ? b[2] : b[4];
    var d = data.slice(at, at + len);
    at += len;
    blocks.push({ data: d, ec: rsRemainder(d, gen) });
  }
  var out = [];
  var longest = b[3] ? b[4] : b[2];
  for (i = 0; i < longest; i++) {
    blocks.forEach(function (blk) { if (i < blk.data.length) out.push(blk.data[i]); });
  }
  for (i = 0; i < b[0]; i++) {
    blocks.forEach(function (blk) { out.push(blk.ec[i]); });
  }
  return out;
}

// -------------------------------------------------------------- patterns

function Grid(version) {
  this.version = version;
  this.size = version * 4 + 17;
  this.dark = [];
  this.fixed = [];
  for (var y = 0; y < this.size; y++) {
    this.dark.push(new Array(this.size).fill(false));
    this.fixed.push(new Array(this.size).fill(false));
  }
}
Grid.prototype.set = function (x, y, dark) {
  this.dark[y][x] = dark;
  this.fixed[y][x] = true;
};

// Centres of the alignment patterns on each axis (annex E).
function alignmentPositions(version) {
  if (version === 1) return [];
  var size = version * 4 + 17;
  var n = Math.floor(version / 7) + 2;
  var step = Math.ceil((version * 4 + 4) / (n * 2 - 2)) * 2;
  var out = [6];
  for (var pos = size - 7; out.length < n; pos -= step) out.splice(1, 0, pos);
  return out;
}

// Finder patterns with their separators, centred at (cx, cy).
function drawFinder(g, cx, cy) {
  for (var dy = -4; dy <= 4; dy++) {
    for (var dx = -4; dx <= 4; dx++) {
      var x = cx + dx, y = cy + dy;
      if (x < 0 || y < 0 || x >= g.size || y >= g.size) continue;
      var d = Math.max(Math.abs(dx), Math.abs(dy));
      g.set(x, y, d !== 2 && d !== 4);
    }
  }
}

function drawFunctionPatterns(g) {
  for (var i = 0; i < g.size; i++) {
    g.set(6, i, i % 2 === 0);
    g.set(i, 6, i % 2 === 0);
  }
  drawFinder(g, 3, 3);
  drawFinder(g, g.size - 4, 3);
  drawFinder(g, 3, g.size - 4);
  var pos = alignmentPositions(g.version);
  pos.forEach(function (cy, a) {
    pos.forEach(function (cx, b) {
      var corner = (a === 0 && b === 0) || (a === 0 && b === pos.length - 1) ||
        (a === pos.length - 1 && b === 0);
      if (corner) return;   // under a finder pattern
      for (var dy = -2; dy <= 2; dy++) {
        for (var dx = -2; dx <= 2; dx++) {
          g.set(cx + dx, cy + dy, Math.max(Math.abs(dx), Math.abs(dy)) !== 1);
        }
      }
    });
  });
  drawFormat(g, 0);          // reserves the areas; redrawn with the mask
  drawVersion(g);
}

// 15-bit format word: level and mask, BCH(15,5), XOR 101010000010010 (7.9).
function formatBits(mask) {
  var data = (FORMAT_M << 3) | mask;
  var rem = data;
  for (var i = 0; i < 10; i++) rem = (rem << 1) ^ ((rem >>> 9) * 0x537);
  return ((data << 10) | rem) ^ 0x5412;
}

function drawFormat(g, mask) {
  var bits = formatBits(mask);
  function bit(i) { return ((bits >>> i) & 1) === 1; }
  for (var i = 0; i <= 5; i++) g.set(8, i, bit(i));
  g.set(8, 7, bit(6));
  g.set(8, 8, bit(7));
  g.set(7, 8, bit(8));
  for (i = 9; i < 15; i++) g.set(14 - i, 8, bit(i));
  for (i = 0; i < 8; i++) g.set(g.size - 1 - i, 8, bit(i));
  for (i = 8; i < 15; i++) g.set(8, g.size - 15 + i, bit(i));
  g.set(8, g.size - 8, true);   // the dark module
}

// 18-bit version word, BCH(18,6), from version 7 on (7.10).
function versionBits(version) {
  var rem = version;
  for (var i = 0; i < 12; i++) rem = (rem << 1) ^ ((rem >>> 11) * 0x1F25);
  return (version << 12) | rem;
}

function drawVersion(g) {
  if (g.version < 7) return;
  var bits = versionBits(g.version);
  for (var i = 0; i < 18; i++) {
    var dark = ((bits >>> i) & 1) === 1;
    var a = g.size - 11 + i % 3, b = Math.floor(i / 3);
    g.set(a, b, dark);
    g.set(b, a, dark);
  }
}

// Codeword bits in the two-column zigzag from the bottom right (7.7.3).
function drawCodewords(g, codewords) {
  var i = 0;
  var total = codewords.length * 8;
  for (var right = g.size - 1; right >= 1; right -= 2) {
    if (right === 6) right = 5;   // the vertical timing pattern
    var upward = ((right + 1) & 2) === 0;
    for (var vert = 0; vert < g.size; vert++) {
      var y = upward ? g.size - 1 - vert : vert;
      for (var j = 0; j < 2; j++) {
        var x = right - j;
        if (g.fixed[y][x]) continue;
        g.dark[y][x] = i < total && ((codewords[i >>> 3] >>> (7 - (i & 7))) & 1) === 1;
        i++;
      }
    }
  }
}

var MASKS = [
  function (x, y) { return (x + y) % 2 === 0; },
  function (x, y) { return y % 2 === 0; },
  function (x) { return x % 3 === 0; },
  function (x, y) { return (x + y) % 3 === 0; },
  function (x, y) { return (Math.floor(x / 3) + Math.floor(y / 2)) % 2 === 0; },
  function (x, y) { return x * y % 2 + x * y % 3 === 0; },
  function (x, y) { return (x * y % 2 + x * y % 3) % 2 === 0; },
  function (x, y) { return ((x + y) % 2 + x * y % 3) % 2 === 0; }
];

// A copy of the grid with mask m applied to the data modules and its format.
function masked(g, m) {
  var out = new Grid(g.version);
  for (var y = 0; y < g.size; y++) {
    for (var x = 0; x < g.size; x++) {
      out.fixed[y][x] = g.fixed[y][x];
      out.dark[y][x] = g.dark[y][x] !== (!g.fixed[y][x] && MASKS[m](x, y));
    }
  }
  drawFormat(out, m);
  return out;
}

// ---------------------------------------------------------------- penalty

// Rules 1 and 3 on one line (a row or a column) of booleans.
function linePenalty(line) {
  var score = 0, run = 1;
  for (var i = 1; i <= line.length; i++) {
    if (i < line.length && line[i] === line[i - 1]) { run++; continue; }
    if (run >= 5) score += 3 + run - 5;
    run = 1;
  }
  // 1:1:3:1:1 dark-light-dark-light-dark with 4 light modules on one side;
  // outside the symbol counts as light (the quiet zone).
  var core = [true, false, true, true, true, false, true];
  function light(k) { return k < 0 || k >= line.length || !line[k]; }
  for (i = 0; i + 7 <= line.length; i++) {
    var hit = true;
    for (var k = 0; k < 7 && hit; k++) hit = line[i + k] === core[k];
    if (!hit) continue;
    var before = light(i - 1) && light(i - 2) && light(i - 3) && light(i - 4);
    var after = light(i + 7) && light(i + 8) && light(i + 9) && light(i + 10);
    if (before) score += 40;
    if (after) score += 40;
  }
  return score;
}

function penalty(dark) {
  var n = dark.length, score = 0, count = 0;
  for (var y = 0; y < n; y++) {
    var column = [];
    for (var x = 0; x < n; x++) column.push(dark[x][y]);
    score += linePenalty(dark[y]) + linePenalty(column);
  }
  for (y = 0; y < n; y++) {
    for (x = 0; x < n; x++) {
      if (dark[y][x]) count++;
      if (y + 1 < n && x + 1 < n && dark[y][x] === dark[y][x + 1] &&
          dark[y][x] === dark[y + 1][x] && dark[y][x] === dark[y + 1][x + 1]) score += 3;
    }
  }
  // Rule 4: 10 points for each full 5% the dark share is away from 50%.
  score += Math.floor(Math.abs(count * 20 - n * n * 10) / (n * n)) * 10;
  return score;
}

// ----------------------------------------------------------------- encode

export function encode(text, options) {
  var bytes = utf8(String(text));
  var version = 1;
  while (version <= MAX_VERSION &&
         4 + (version < 10 ? 8 : 16) + bytes.length * 8 > dataCapacity(version) * 8) version++;
  if (version > MAX_VERSION) throw new RangeError('QR: text too long (' + bytes.length + ' bytes)');
  var g = new Grid(version);
  drawFunctionPatterns(g);
  drawCodewords(g, interleave(dataCodewords(bytes, version), version));
  var forced = options && typeof options.mask === 'number' ? options.mask : -1;
  var best = null, bestMask = -1, bestScore = Infinity;
  for (var m = 0; m < 8; m++) {
    if (forced >= 0 && m !== forced) continue;
    var candidate = masked(g, m);
    var score = forced >= 0 ? 0 : penalty(candidate.dark);
    if (score < bestScore) { best = candidate; bestMask = m; bestScore = score; }
  }
  return { version: version, mask: bestMask, size: g.size, modules: best.dark };
}

// --------------------------------------------------------------------- SVG

var SVG_NS = 'http://www.w3.org/2000/svg';

// One path of unit squares: crisp at any size, one node however large the code.
export function svg(code, doc, options) {
  var quiet = options && options.quiet !== undefined ? options.quiet : 4;
  var scale = options && options.scale ? options.scale : 4;
  var full = code.size + quiet * 2;
  var d = [];
  code.modules.forEach(function (row, y) {
    row.forEach(function (dark, x) {
      if (dark) d.push('M' + (x + quiet) + ' ' + (y + quiet) + 'h1v1h-1z');
    });
  });
  var el = doc.createElementNS(SVG_NS, 'svg');
  el.setAttribute('viewBox', '0 0 ' + full + ' ' + full);
  el.setAttribute('width', String(full * scale));
  el.setAttribute('height', String(full * scale));
  el.setAttribute('shape-rendering', 'crispEdges');
  el.setAttribute('role', 'img');
  var bg = doc.createElementNS(SVG_NS, 'rect');
  bg.setAttribute('width', String(full));
  bg.setAttribute('height', String(full));
  bg.setAttribute('fill', '#fff');
  var path = doc.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', d.join(''));
  path.setAttribute('fill', '#000');
  el.appendChild(bg);
  el.appendChild(path);
  return el;
}

// For the tests: the parts with published vectors.
export var internals = {
  rsGenerator: rsGenerator, rsRemainder: rsRemainder, formatBits: formatBits,
  versionBits: versionBits, alignmentPositions: alignmentPositions,
  dataCodewords: dataCodewords, penalty: penalty, linePenalty: linePenalty, utf8: utf8
};
