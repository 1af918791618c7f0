// Short messages in the corner (server errors, hints); they disappear after a few seconds.
export function toast(message, kind = 'info', ms = 6000) {
  const host = document.getElementById('toasts');
  if (!host) return;
  const item = document.createElement('div');
  item.className = `toast toast-${kind}`;
  item.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  item.textContent = message;
  host.append(item);
  setTimeout(() => item.remove(), ms);
}
