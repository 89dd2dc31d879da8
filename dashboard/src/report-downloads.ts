import { UnauthorizedError } from './api.ts';
import { type CouncilApi, REPORT_FILES, type ReportFile } from './council-api.ts';
import { el, setText } from './dom.ts';
import { saveFile } from './save-file.ts';
import { currentLondonMonth } from './uptime-chart.ts';

const LABEL: Record<ReportFile, string> = {
  'uptime.csv': 'Uptime CSV',
  'compliance.csv': 'Compliance CSV',
  'clock.csv': 'Clock CSV',
  'maintenance.csv': 'Maintenance CSV',
  'evidence.pdf': 'Evidence pack PDF',
  'evidence.json': 'Evidence figures JSON',
};

/**
 * The council's monthly reports. The API wants the bearer token, which must not go into a URL, so a
 * file is fetched with the header and saved with saveFile.
 */
export class ReportDownloads {
  readonly element: HTMLElement;
  private readonly month = el('input', {
    type: 'month',
    id: 'report-month',
    value: currentLondonMonth(),
    max: currentLondonMonth(),
  });
  private readonly status = el('span', { class: 'download-status', id: 'download-status', role: 'status' });
  private readonly buttons: HTMLButtonElement[];
  private councilId: string | null = null;

  constructor(private readonly api: CouncilApi) {
    this.buttons = REPORT_FILES.map((file) => {
      const button = el(
        'button',
        { type: 'button', class: 'download-button', 'data-report': file },
        LABEL[file],
      );
      button.addEventListener('click', () => void this.download(file, button));
      return button;
    });
    this.element = el(
      'div',
      { class: 'report-downloads', role: 'group', 'aria-label': 'Monthly reports' },
      el('label', { class: 'field' }, el('span', { class: 'field-label' }, 'Report month'), this.month),
      el(
        'div',
        { class: 'field' },
        el('span', { class: 'field-label' }, 'Download'),
        el('div', { class: 'download-buttons' }, ...this.buttons, this.status),
      ),
    );
  }

  setCouncil(councilId: string | null): void {
    this.councilId = councilId;
    for (const button of this.buttons) button.disabled = councilId === null;
  }

  private async download(file: ReportFile, button: HTMLButtonElement): Promise<void> {
    const councilId = this.councilId;
    const month = this.month.value || currentLondonMonth();
    if (councilId === null) return;
    button.disabled = true;
    this.status.classList.remove('error');
    setText(this.status, `Preparing ${file}…`);
    try {
      const { blob, fileName } = await this.api.report(councilId, file, month);
      saveFile(blob, fileName ?? `cctv-${councilId}-${month}-${file}`);
      this.status.dataset.file = file;
      setText(this.status, `Downloaded ${fileName ?? file}`);
    } catch (error) {
      if (error instanceof UnauthorizedError) return;
      this.status.classList.add('error');
      setText(this.status, `${file}: ${(error as Error).message}`);
    } finally {
      button.disabled = false;
    }
  }
}
