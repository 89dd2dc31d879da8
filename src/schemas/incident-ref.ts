// No imports: the dashboard takes this too, and must not pull the schema library into its bundle.
/**
 * What an incident reference may hold, as a regular expression body valid both for the hub's schema
 * (Unicode mode) and for an HTML `pattern` attribute, which browsers compile in the stricter
 * unicode-sets (`v`) mode: there `/` and `-` in a class must be escaped, or the whole pattern is
 * invalid and the browser ignores it.
 */
export const INCIDENT_REF_PATTERN = '[A-Za-z0-9][A-Za-z0-9\\/._:\\-]*';
