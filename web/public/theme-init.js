// Sets the theme chosen in this browser before the first paint (see src/app/theme.ts).
try {
  var t = localStorage.getItem('superego.theme')
  if (t === 'light' || t === 'dark') document.documentElement.setAttribute('data-theme', t)
} catch (e) {
  // No storage: the system's choice applies.
}
