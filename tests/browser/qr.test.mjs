// Unit tests of the console's QR encoder (www/js/qr.js) with Node's own
// test runner, standard library only:
//
//   node --test tests/browser/qr.test.mjs        (tests/browser/run.sh runs it too)
//
// Vectors: the Reed-Solomon codewords of ISO/IEC 18004's worked example
// (annex I, "01234567" at 1-M: data 16 codewords, EC 10), the format words of
// level M (table C.1), the version words (table D.1), the alignment centres
// (table E.1), and whole symbols made by libqrencode (qr-vectors.json).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as QR from '../../www/js/qr.js';

const I = QR.internals;
const vectors = JSON.parse(readFileSync(new URL('./qr-vectors.json', import.meta.url)));

test('Reed-Solomon: the EC codewords of the standard example 01234567 at 1-M', () => {
  // Annex I: numeric mode, 0001 0000001000 0000001100 0101011001 1000011 0000 + padding.
  const data = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11,
    0xEC, 0x11, 0xEC, 0x11];
  const ec = I.rsRemainder(data, I.rsGenerator(10));
  assert.deepEqual(ec, [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55]);
});

test('format information of level M, masks 0 to 7 (table C.1)', () => {
  const want = ['101010000010010', '101000100100101', '101111001111100', '101101101001011',
    '100010111111001', '100000011001110', '100111110010111', '100101010100000'];
  for (let m = 0; m < 8; m++) {
    assert.equal(I.formatBits(m).toString(2).padStart(15, '0'), want[m], 'mask ' + m);
  }
});

test('version information of versions 7 to 15 (table D.1)', () => {
  const want = {
    7: 0x07C94, 8: 0x085BC, 9: 0x09A99, 10: 0x0A4D3, 11: 0x0BBF6,
    12: 0x0C762, 13: 0x0D847, 14: 0x0E60D, 15: 0x0F928
  };
  for (const [v, bits] of Object.entries(want)) {
    assert.equal(I.versionBits(Number(v)), bits, 'version ' + v);
  }
});

test('alignment pattern centres (table E.1)', () => {
  assert.deepEqual(I.alignmentPositions(1), []);
  assert.deepEqual(I.alignmentPositions(2), [6, 18]);
  assert.deepEqual(I.alignmentPositions(6), [6, 34]);
  assert.deepEqual(I.alignmentPositions(7), [6, 22, 38]);
  assert.deepEqual(I.alignmentPositions(10), [6, 28, 50]);
  assert.deepEqual(I.alignmentPositions(14), [6, 26, 46, 66]);
  assert.deepEqual(I.alignmentPositions(15), [6, 26, 48, 70]);
});

test('byte mode data codewords: mode, count, bytes, terminator, 0xEC 0x11 padding', () => {
  // "hello" at 1-M: 0100 00000101 then 'h' 'e' 'l' 'l' 'o', 0000, pad to 16.
  assert.deepEqual(I.dataCodewords(I.utf8('hello'), 1),
    [0x40, 0x56, 0x86, 0x56, 0xC6, 0xC6, 0xF0, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC]);
  // From version 10 the count has 16 bits.
  assert.deepEqual(I.dataCodewords([0x41], 10).slice(0, 4), [0x40, 0x00, 0x14, 0x10]);
});

// The mask of a symbol, read back from its format information next to the top-left finder.
function maskOf(rows) {
  const at = [];
  for (let i = 0; i <= 5; i++) at.push([8, i]);
  at.push([8, 7], [8, 8], [7, 8]);
  for (let i = 9; i < 15; i++) at.push([14 - i, 8]);
  let bits = 0;
  at.forEach(([x, y], i) => { if (rows[y][x] === '1') bits |= 1 << i; });
  return ((bits ^ 0x5412) >> 10) & 7;
}

function rowsOf(code) {
  return code.modules.map((row) => row.map((d) => (d ? '1' : '0')).join(''));
}

for (const v of vectors.symbols) {
  test(`libqrencode's symbol for ${v.text.length} bytes, module for module`, () => {
    const mask = maskOf(v.rows);
    const code = QR.encode(v.text, { mask });
    assert.equal(code.size, v.rows.length);
    assert.equal(code.mask, mask);
    assert.deepEqual(rowsOf(code), v.rows);
  });
}

test('the chosen mask is one of least penalty, and the symbol is that mask\'s', () => {
  for (const v of vectors.symbols) {
    const chosen = QR.encode(v.text);
    const scores = [];
    for (let m = 0; m < 8; m++) scores.push(I.penalty(QR.encode(v.text, { mask: m }).modules));
    assert.equal(scores[chosen.mask], Math.min(...scores), v.text.slice(0, 20) + ': ' + scores);
    assert.deepEqual(chosen.modules, QR.encode(v.text, { mask: chosen.mask }).modules);
  }
});

test('penalty rules on small grids', () => {
  // A 5x5 all-light grid: rule 1 (5 rows, 5 columns, 3 each), rule 2 (16
  // 2x2 blocks, 3 each), rule 4 (0% dark: 10 steps of 5%, 10 each).
  const light = Array.from({ length: 5 }, () => Array(5).fill(false));
  assert.equal(I.penalty(light), 10 * 3 + 16 * 3 + 100);
  // Rule 3: 1011101 with 4 light modules before and after: 40 for each
  // side; outside the symbol counts as light. No run of 5: no rule 1.
  const line = (bits) => [...bits].map((c) => c === '1');
  assert.equal(I.linePenalty(line('000010111010000')), 80);
  assert.equal(I.linePenalty(line('10111010000')), 80);
  assert.equal(I.linePenalty(line('1011101')), 80);
  assert.equal(I.linePenalty(line('100010111010001')), 0);   // 3 light modules only
  // Rule 1: a run of 5 is 3, each module more 1.
  assert.equal(I.linePenalty(line('0111110')), 3);
  assert.equal(I.linePenalty(line('01111111')), 5);
});

test('version grows with the text; too long is a RangeError', () => {
  assert.equal(QR.encode('a'.repeat(14)).version, 1);     // 1-M holds 14 bytes
  assert.equal(QR.encode('a'.repeat(15)).version, 2);
  assert.equal(QR.encode('a'.repeat(213)).version, 10);   // 10-M holds 213
  assert.equal(QR.encode('a'.repeat(214)).version, 11);
  assert.equal(QR.encode('a'.repeat(412)).version, 15);
  assert.throws(() => QR.encode('a'.repeat(413)), RangeError);
  // UTF-8: 'é' is two bytes.
  assert.equal(QR.encode('é'.repeat(7)).version, 1);
  assert.equal(QR.encode('é'.repeat(8)).version, 2);
});

test('svg: DOM calls only, one path of unit squares inside a 4-module quiet zone', () => {
  const made = [];
  const doc = {
    createElementNS(ns, name) {
      const el = { ns, name, attrs: {}, children: [],
        setAttribute(k, val) { this.attrs[k] = val; },
        appendChild(c) { this.children.push(c); } };
      made.push(el);
      return el;
    }
  };
  const code = QR.encode('hello');
  const el = QR.svg(code, doc, { scale: 3 });
  assert.equal(el.name, 'svg');
  assert.equal(el.ns, 'http://www.w3.org/2000/svg');
  assert.equal(el.attrs.viewBox, '0 0 29 29');
  assert.equal(el.attrs.width, '87');
  const path = el.children[1];
  const squares = path.attrs.d.match(/M\d+ \d+h1v1h-1z/g);
  const dark = code.modules.flat().filter(Boolean).length;
  assert.equal(squares.length, dark);
  assert.equal(path.attrs.d, squares.join(''));
  assert.ok(squares.includes('M4 4h1v1h-1z'), 'top-left finder corner at the quiet zone');
  assert.equal(made.length, 3);
});
