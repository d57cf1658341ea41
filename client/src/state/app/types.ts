// The shapes ui/ renders, re-exported so components never reach into services/.
export type {
  DeviceStorage,
  DriveNode,
  LinkOptions,
  SessionInfo,
  SharedLink,
  TransferSnapshot,
  Usage,
} from '../../services';
