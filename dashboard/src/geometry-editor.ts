import type { LoginResponse } from '../../src/schemas/api.ts';
import { ApiRequestError, UnauthorizedError } from './api.ts';
import { el, returnFocus, setText } from './dom.ts';
import * as fmt from './format.ts';
import {
  fieldOfHubMessage,
  formatValue,
  GEOMETRY_FIELDS,
  type GeometryField,
  geometryValues,
  readGeometry,
} from './geometry-fields.ts';
import { GeometryForm } from './geometry-form.ts';
import { GeometryPreview } from './geometry-preview.ts';
import type { FovCollection, FovFeature, IncidentApi } from './incident-api.ts';
import type { IncidentMap } from './incident-map.ts';

/** The hub accepts geometry changes from hub operators only; other roles never see the editor. */
export function mayEditGeometry(role: LoginResponse['user']['role']): boolean {
  return role === 'operator';
}

const RANGE = GEOMETRY_FIELDS.find((f) => f.key === 'rangeM')!;
const DECIMALS = Object.fromEntries(GEOMETRY_FIELDS.map((f) => [f.key, f.decimals])) as Record<
  GeometryField,
  number
>;

export interface GeometryEditorOptions {
  api: IncidentApi;
  map: IncidentMap;
  /** After the hub stored a change (the camera's name): reload the cones and what is drawn from them. */
  onSaved: (name: string) => Promise<void>;
  /** The camera being edited (its name), or null once the editor closes. */
  onEditing: (name: string | null) => void;
}

/**
 * Hub operators' editor of a camera's surveyed geometry (position, bearing, horizontal field of view,
 * useful range): a form in place of the incident results, a preview of the cone while typing or dragging, Save
 * (`PUT /api/cameras/:id/geometry`, audited by the hub) and Cancel. The map shows the hub's own
 * polygon again once saved.
 */
export class GeometryEditor {
  readonly element: HTMLElement;
  private readonly title = el('h2', { class: 'panel-title', id: 'geometry-title', tabindex: -1 }, 'Geometry');
  private readonly provenance = el('p', { class: 'muted geometry-provenance', id: 'geometry-provenance' });
  private readonly form: GeometryForm;
  private readonly preview: GeometryPreview;
  private features = new Map<string, FovFeature>();
  private editing: FovFeature | null = null;
  private returnFocus: HTMLElement | null = null;
  private saving = false;

  constructor(private readonly options: GeometryEditorOptions) {
    this.form = new GeometryForm({
      onInput: () => this.onInput(),
      onSave: () => void this.save(),
      onCancel: () => this.close(),
    });
    this.preview = new GeometryPreview(options.map.editLayer, {
      rangeLimitsM: { min: 1, max: RANGE.max },
      onMove: ({ lat, lon }) =>
        this.form.setValues({ lat: formatValue(lat, DECIMALS.lat), lon: formatValue(lon, DECIMALS.lon) }),
      onAim: (bearing, range) => this.form.setValues({ bearingDeg: String(bearing), rangeM: String(range) }),
    });
    this.element = el(
      'section',
      {
        class: 'panel geometry-editor',
        id: 'geometry-editor',
        'aria-labelledby': 'geometry-title',
        hidden: true,
      },
      this.title,
      this.provenance,
      el(
        'p',
        { class: 'muted geometry-help' },
        'Drag the camera marker to move it and the round handle at the end of the view to aim it; the violet dashed cone shows the change before it is saved.',
      ),
      this.form.element,
    );
    this.element.addEventListener('keydown', (event) => {
      if (event.key === 'Escape') {
        event.stopPropagation();
        this.close();
      }
    });
  }

  /** The cones as last loaded: the editor starts from the geometry they were built from. */
  setFieldsOfView(collection: FovCollection): void {
    this.features = new Map(collection.features.map((f) => [f.id, f]));
  }

  /** Opens the editor on a camera; false when the hub sent no field of view for it. */
  open(cameraId: string, returnFocus: HTMLElement | null): boolean {
    const feature = this.features.get(cameraId);
    if (!feature) return false;
    this.editing = feature;
    this.returnFocus = returnFocus;
    const { name, surveyedAt, location, bearingDeg, hfovDeg, rangeM } = feature.properties;
    setText(this.title, `Edit geometry: ${name}`);
    setText(
      this.provenance,
      surveyedAt === null
        ? `${cameraId} · from the site's commissioning data. Saving records it as surveyed: later inventories from the site will not change it.`
        : `${cameraId} · surveyed ${fmt.dateTime(surveyedAt)}.`,
    );
    this.element.dataset.cameraId = cameraId;
    this.element.hidden = false;
    this.form.setValues(geometryValues({ location, bearingDeg, hfovDeg, rangeM }));
    this.form.setStatus('', 'info');
    this.form.setBusy(false);
    this.options.map.setEditing(cameraId);
    this.options.map.showCamera(location, rangeM);
    this.preview.show({ location, bearingDeg, hfovDeg, rangeM });
    this.title.focus();
    this.options.onEditing(name);
    return true;
  }

  /** Ends editing without saving (Cancel, Escape, leaving the view). */
  close(): void {
    if (this.editing === null) return;
    this.editing = null;
    this.element.hidden = true;
    delete this.element.dataset.cameraId;
    this.preview.clear();
    this.options.map.setEditing(null);
    this.options.onEditing(null);
    const focus = this.returnFocus;
    this.returnFocus = null;
    // The results may have been searched again while the editor was open: then the new row's.
    returnFocus(focus);
  }

  private onInput(): void {
    const read = readGeometry(this.form.values);
    this.preview.show(read.ok ? read.update : null);
  }

  private async save(): Promise<void> {
    const feature = this.editing;
    if (feature === null || this.saving) return;
    const read = readGeometry(this.form.values);
    if (!read.ok) {
      this.form.showErrors(read.errors, true);
      const count = Object.keys(read.errors).length;
      this.form.setStatus(
        `Not saved: ${count === 1 ? 'one field needs' : `${count} fields need`} correcting.`,
        'error',
      );
      return;
    }
    this.saving = true;
    this.form.setBusy(true);
    this.form.setStatus('Saving…', 'info');
    try {
      await this.options.api.setGeometry(feature.id, read.update);
    } catch (error) {
      if (this.editing === feature) this.showRefusal(error);
      return;
    } finally {
      this.saving = false;
      this.form.setBusy(false);
    }
    // Cancel may have been pressed, or another camera opened, while the request was on its way.
    if (this.editing === feature) this.close();
    await this.options.onSaved(feature.properties.name);
  }

  private showRefusal(error: unknown): void {
    if (error instanceof UnauthorizedError) return;
    if (!(error instanceof ApiRequestError)) {
      this.form.setStatus(`Not saved: ${(error as Error).message}`, 'error');
      return;
    }
    const about = fieldOfHubMessage(error.message);
    if (about !== null) {
      const field = GEOMETRY_FIELDS.find((f) => f.key === about.field)!;
      this.form.showErrors({ [about.field]: `${field.label} ${about.rest}` }, true);
      this.form.setStatus(`Not saved: the hub refused the ${field.label.toLowerCase()}.`, 'error');
      return;
    }
    this.form.setStatus(`Not saved: ${error.message}`, 'error');
  }
}
