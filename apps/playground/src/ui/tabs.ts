/** WAI-ARIA tabs: click or arrow keys (Home/End too) switch panels. */
export function setupTabs(): void {
  const tabs = [...document.querySelectorAll<HTMLButtonElement>('[role=tab]')];
  const select = (tab: HTMLButtonElement, focus: boolean) => {
    for (const t of tabs) {
      const on = t === tab;
      t.setAttribute('aria-selected', String(on));
      t.tabIndex = on ? 0 : -1;
      const panel = document.getElementById(t.getAttribute('aria-controls')!);
      if (panel) panel.hidden = !on;
    }
    if (focus) tab.focus();
    // charts size themselves from their box, which is 0 while hidden
    window.dispatchEvent(new Event('resize'));
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (e) => {
      const k = e.key;
      const j =
        k === 'ArrowRight'
          ? (i + 1) % tabs.length
          : k === 'ArrowLeft'
            ? (i - 1 + tabs.length) % tabs.length
            : k === 'Home'
              ? 0
              : k === 'End'
                ? tabs.length - 1
                : -1;
      if (j >= 0) {
        e.preventDefault();
        select(tabs[j], true);
      }
    });
  });
}
