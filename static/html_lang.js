// Flask-Admin's base template has a bare <html>: give the page its language (screen readers, axe).
document.documentElement.lang = document.currentScript.dataset.lang;
