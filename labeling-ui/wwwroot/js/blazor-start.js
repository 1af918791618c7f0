// Starts Blazor (blazor.web.js is loaded with autostart="false"; the CSP allows no inline script). Enhanced navigation
// is off: the pages that stay static (sign-in, labeling, reports, designer, run pages) load their scripts on a full page
// load, and interactive pages navigate among themselves through the circuit's router.
Blazor.start({ ssr: { disableDomPreservation: true } });
