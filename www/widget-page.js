// The widget page: writes this server's address into the snippet and copies it on request.
const snippet = document.getElementById('snippet');
const script = new URL('siger-widget.js', document.baseURI).href;
snippet.textContent = snippet.textContent.replace('/siger-widget.js', script);

document.getElementById('copy').addEventListener('click', async () => {
  const status = document.getElementById('copied');
  try {
    await navigator.clipboard.writeText(snippet.textContent);
    status.textContent = 'Tersalin.';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(snippet);
    getSelection().removeAllRanges();
    getSelection().addRange(range);
    status.textContent = 'Tekan Ctrl+C untuk menyalin.';
  }
});
