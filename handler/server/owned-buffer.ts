/**
 * The bytes as an ArrayBuffer of their own, to transfer to a worker without copying. Node allocates bodies under 4 KiB
 * from a shared pool; transferring that pool would detach every other buffer in it, so those few bytes are copied.
 */
export function ownedArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  const buffer = bytes.buffer as ArrayBuffer;
  if (bytes.byteOffset === 0 && buffer.byteLength === bytes.byteLength) return buffer;
  return buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
}
