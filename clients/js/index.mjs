// gale-client as an ES module: the same library as index.js (CommonJS).
//   import { connect, NotFound } from 'gale-client';
import gale from './index.js';

export const {
  connect, NimbusConnection, buildTopology, sha256File, statusName, isDeclared, num,
  generatedDir, types, thrift, GaleError, NotFound, PluginNotFound, AlreadyAlive,
  InvalidTopology, UploadError, IllegalState, Unauthorized, ServerError, Unavailable, Timeout,
  CHUNK_SIZE,
} = gale;
export default gale;
