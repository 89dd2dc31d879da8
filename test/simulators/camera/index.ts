// Public surface of the camera simulator used by tests, the demo (`npm start`) and benchmarks.
export {
  type CameraFleetOptions,
  CameraFleetSimulator,
  defaultCacheDir,
  type SimCameraStatus,
  SimulatorError,
} from './camera-fleet-simulator.ts';
export {
  DEFAULT_WRONG_TIME_ZONE,
  FAULT_KINDS,
  FaultValidationError,
  parseFault,
  SimFault,
  type SimFaultKind,
  type SimFaultOf,
} from './faults.ts';
export { MAIN_PROFILE_TOKEN, SUB_PROFILE_TOKEN } from './onvif-responses.ts';
export {
  type SimCameraEndpoints,
  SimCameraSpec,
  type SimStreamName,
  SimVideoProfile,
  UK_TIME_ZONE,
} from './types.ts';
export { WS_CREATED_TOLERANCE_MS } from './ws-security.ts';
