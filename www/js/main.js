/* Overwatch console: the entry point. Loads every page (each registers
 * itself with nav.js) and finds out whether the browser is still signed in.
 *
 * Plain ES modules, no framework, no build step, no inline script or style:
 * the page's Content-Security-Policy allows scripts from this origin only.
 * A new page is a new file page-NAME.js imported below.
 */

import { $ } from './dom.js';
import { refreshSession, session, SessionEnded, describe } from './api.js';
import { showError } from './forms.js';
import { enterApp, forgetSession, showSignIn } from './nav.js';
import './signin.js';
import './page-incidents.js';
import './page-keys.js';
import './page-users.js';
import './page-audit.js';
import './page-settings.js';
import './mfa.js';
import './step-up.js';

// Already signed in (cookies from an earlier visit)? A refresh tells,
// and gives the access token's lifetime to schedule the next one.
refreshSession().then(function (ok) {
  if (!ok) { showSignIn(); return; }
  session.signedIn = true;
  return enterApp().catch(function (e) {
    if (e instanceof SessionEnded) return;
    forgetSession();
    showSignIn();
    showError($('signin-error'), describe(e));
  });
}, function (e) {
  showSignIn();
  showError($('signin-error'), describe(e));
});
