// Tell GOV.UK Frontend's styles that JavaScript runs here (its template does this inline;
// s11's Content-Security-Policy allows no inline script).
document.body.className += ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '');
