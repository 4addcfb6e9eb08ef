/**
 * WAI-ARIA tabs: one tab in the focus order, arrow keys/Home/End move between tabs, and
 * selecting a tab shows its panel (when each tab controls its own panel).
 */
export class Tabs<K extends string> {
  private readonly tabs: HTMLButtonElement[];

  constructor(
    list: HTMLElement,
    private readonly keyOf: (tab: HTMLButtonElement) => K,
    private readonly onSelect: (key: K) => void,
  ) {
    this.tabs = [...list.querySelectorAll<HTMLButtonElement>('[role="tab"]')];
    for (const tab of this.tabs) tab.addEventListener('click', () => this.select(this.keyOf(tab), true));
    list.addEventListener('keydown', (e) => this.key(e));
  }

  get selected(): K {
    const tab = this.tabs.find((t) => t.getAttribute('aria-selected') === 'true') ?? this.tabs[0];
    return this.keyOf(tab);
  }

  /** Marks the tab selected; `notify` runs onSelect (false when the page restores state). */
  select(key: K, notify = false): void {
    for (const tab of this.tabs) {
      const on = this.keyOf(tab) === key;
      tab.setAttribute('aria-selected', String(on));
      tab.tabIndex = on ? 0 : -1;
      const panelId = tab.getAttribute('aria-controls');
      const panel = panelId ? document.getElementById(panelId) : null;
      if (panel?.getAttribute('role') === 'tabpanel') panel.hidden = !on;
    }
    if (notify) this.onSelect(key);
  }

  private key(e: KeyboardEvent): void {
    const at = this.tabs.indexOf(e.target as HTMLButtonElement);
    if (at < 0) return;
    const n = this.tabs.length;
    const next = { ArrowRight: at + 1, ArrowDown: at + 1, ArrowLeft: at - 1 + n, ArrowUp: at - 1 + n, Home: 0, End: n - 1 }[e.key];
    if (next === undefined) return;
    e.preventDefault();
    const tab = this.tabs[next % n];
    tab.focus();
    this.select(this.keyOf(tab), true);
  }
}
