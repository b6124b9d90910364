// Tells JavaScript which watched objects the garbage collector has freed, without waiting
// for the event loop. A FinalizationRegistry callback (and a default N-API finalizer) runs
// only from a later task, so a synchronous training loop would never see one; this module
// is built against N-API's experimental version, whose finalizers run inside the collection
// itself. The finalizer only appends an id to a list in native memory (it must not touch the
// JavaScript heap); `drain` hands the ids to JavaScript at core's next allocation.
#ifndef NAPI_EXPERIMENTAL
#define NAPI_EXPERIMENTAL
#endif
#include <node_api.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// One list per Node environment (main thread, each worker). It is never freed: finalizers of
// watched objects may still run while an environment is torn down, and must find it.
typedef struct {
  int32_t* ids;  // collected ids not yet drained
  uint32_t count;
  uint32_t capacity;
  int32_t* pending;  // pending[0] mirrors count, read by JavaScript as an Int32Array without a call
  int lost;          // set when the list could not grow; drain() then reports it
} State;

static void collected(node_api_basic_env env, void* data, void* hint) {
  (void)env;
  State* s = (State*)hint;
  if (s->count == s->capacity) {
    uint32_t next = s->capacity ? s->capacity * 2 : 4096;
    int32_t* grown = (int32_t*)realloc(s->ids, (size_t)next * sizeof(int32_t));
    if (!grown) {
      s->lost = 1;
      return;
    }
    s->ids = grown;
    s->capacity = next;
  }
  s->ids[s->count++] = (int32_t)(intptr_t)data;
  s->pending[0] = (int32_t)s->count;
}

static napi_value throw_type(napi_env env, const char* msg) {
  napi_throw_type_error(env, NULL, msg);
  return NULL;
}

// watch(target: object, id: int32 >= 0)
static napi_value watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_valuetype type;
  int32_t id;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    return throw_type(env, "gcWatch.watch: expected (target: object, id: number)");
  }
  napi_typeof(env, argv[0], &type);
  if (type != napi_object && type != napi_function) return throw_type(env, "gcWatch.watch: argument 'target' expected an object");
  if (napi_get_value_int32(env, argv[1], &id) != napi_ok || id < 0) {
    return throw_type(env, "gcWatch.watch: argument 'id' expected a non-negative int32");
  }
  State* s;
  napi_get_instance_data(env, (void**)&s);
  if (napi_add_finalizer(env, argv[0], (void*)(intptr_t)id, collected, s, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "gcWatch.watch: napi_add_finalizer failed");
  }
  return NULL;
}

// drain(out: Int32Array) -> number of ids moved into `out` (the oldest first); -1 if ids were lost.
static napi_value drain(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value arg, result;
  napi_typedarray_type type;
  size_t length;
  void* data;
  if (napi_get_cb_info(env, info, &argc, &arg, NULL, NULL) != napi_ok || argc < 1 ||
      napi_get_typedarray_info(env, arg, &type, &length, &data, NULL, NULL) != napi_ok || type != napi_int32_array) {
    return throw_type(env, "gcWatch.drain: argument 'out' expected an Int32Array");
  }
  State* s;
  napi_get_instance_data(env, (void**)&s);
  uint32_t n = s->count < length ? s->count : (uint32_t)length;
  if (n > 0) {
    memcpy(data, s->ids, (size_t)n * sizeof(int32_t));
    memmove(s->ids, s->ids + n, (size_t)(s->count - n) * sizeof(int32_t));
  }
  s->count -= n;
  s->pending[0] = (int32_t)s->count;
  if (s->lost) {
    s->lost = 0;
    napi_create_int32(env, -1, &result);
    return result;
  }
  napi_create_uint32(env, n, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value buffer, fn;
  State* s = (State*)calloc(1, sizeof(State));
  int32_t* cell = (int32_t*)calloc(1, sizeof(int32_t));
  if (!s || !cell) {
    napi_throw_error(env, NULL, "gcWatch: out of memory");
    return NULL;
  }
  s->pending = cell;
  napi_set_instance_data(env, s, NULL, NULL);
  // Runtimes that forbid external buffers get no `pending`; JavaScript then calls drain() instead.
  if (napi_create_external_arraybuffer(env, cell, sizeof(int32_t), NULL, NULL, &buffer) == napi_ok) {
    napi_set_named_property(env, exports, "pending", buffer);
  } else {
    const napi_extended_error_info* ignored;
    napi_get_last_error_info(env, &ignored);
  }
  napi_create_function(env, "watch", NAPI_AUTO_LENGTH, watch, NULL, &fn);
  napi_set_named_property(env, exports, "watch", fn);
  napi_create_function(env, "drain", NAPI_AUTO_LENGTH, drain, NULL, &fn);
  napi_set_named_property(env, exports, "drain", fn);
  return exports;
}
