// Sesame's storefront works without JavaScript; with it, htmx (vendored,
// 2.0.11) turns the cart's forms and links into in-page updates. htmx is
// told not to inject styles or evaluate code, which the pages' Content
// Security Policy forbids anyway.
htmx.config.includeIndicatorStyles = false;
htmx.config.allowEval = false;
htmx.config.allowScriptTags = false;
htmx.config.historyCacheSize = 0;
htmx.config.scrollIntoViewOnBoost = false;
// A refused form answers 4xx with the page that says why: show it, as a
// browser without JavaScript does.
htmx.config.responseHandling = [{ code: "204", swap: false }, { code: ".*", swap: true }];
