/* Paging of a list: "Previous" and "Next" buttons and the page's number.
 * The API pages with ?limit=&offset= (doc/api.md section 1); a page asks
 * for one row more than it shows to know whether there is a next page. */

import { button } from './dom.js';

// pager(containerId, pageSize, onChange(offset)) -> {offset, limitPlusOne(), show(rows), reset()}
export function pager(container, size, onChange, what) {
  var p = { offset: 0, size: size };
  p.limitPlusOne = function () { return size + 1; };
  p.reset = function () { p.offset = 0; container.hidden = true; container.textContent = ''; };
  // rows: what the API returned (up to size + 1); returns the rows to show.
  p.show = function (rows) {
    var more = rows.length > size;
    container.textContent = '';
    container.hidden = p.offset === 0 && !more;
    if (container.hidden) return rows.slice(0, size);
    var prev = button('Previous', 'secondary', 'Previous page of ' + what, function () {
      p.offset = Math.max(0, p.offset - size);
      onChange(p.offset);
    });
    prev.disabled = p.offset === 0;
    var next = button('Next', 'secondary', 'Next page of ' + what, function () {
      p.offset += size;
      onChange(p.offset);
    });
    next.disabled = !more;
    var label = document.createElement('span');
    label.className = 'pager-label';
    label.textContent = 'Page ' + (Math.floor(p.offset / size) + 1);
    container.appendChild(prev);
    container.appendChild(label);
    container.appendChild(next);
    return rows.slice(0, size);
  };
  return p;
}
