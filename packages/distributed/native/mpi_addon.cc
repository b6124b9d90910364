// N-API binding over MPI: the collectives MegEngine's distributed functional needs, on the
// caller's typed arrays (in place where MPI allows it). Every MPI call returns its error code
// (MPI_ERRORS_RETURN) and a failure becomes a JS exception; the process is never aborted
// here except by an explicit abort().
#include <dlfcn.h>
#include <mpi.h>
#include <napi.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

namespace {

bool g_inited_here = false;

// Watchdog: a blocking MPI call that waits longer than g_timeout_ms for the other ranks (one rank
// stopped calling collectives, or they call them in different orders) ends this process with a
// message; mpirun then stops the others. A thread rather than MPI_Abort: it may not call MPI while
// the main thread is inside MPI (MPI_THREAD_SERIALIZED).
std::atomic<int64_t> g_timeout_ms{600000};
std::atomic<int64_t> g_deadline_ms{0};  // 0: no blocking call in progress
std::atomic<const char*> g_waiting_op{""};
int g_world_rank = 0;

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void WatchdogLoop() {
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    int64_t d = g_deadline_ms.load();
    if (d != 0 && NowMs() > d) {
      std::fprintf(stderr,
                   "[@mge/distributed] rank %d: %s waited more than %.1f s for the other ranks (a rank stopped calling "
                   "collectives or called them in another order); ending this rank so that mpirun stops every rank\n",
                   g_world_rank, g_waiting_op.load(), g_timeout_ms.load() / 1000.0);
      std::fflush(stderr);
      _exit(70);
    }
  }
}

// Arms the watchdog for the duration of one blocking call.
struct Waiting {
  explicit Waiting(const char* op) {
    int64_t t = g_timeout_ms.load();
    if (t > 0) {
      g_waiting_op.store(op);
      g_deadline_ms.store(NowMs() + t);
    }
  }
  ~Waiting() { g_deadline_ms.store(0); }
};
// Communicators by handle: 0 is MPI_COMM_WORLD, the others come from commCreate.
std::vector<MPI_Comm> g_comms;

MPI_Comm GetComm(const Napi::CallbackInfo& info, size_t i, const char* what) {
  Napi::Env env = info.Env();
  int h = 0;
  if (i < info.Length() && !info[i].IsUndefined()) {
    if (!info[i].IsNumber()) throw Napi::TypeError::New(env, std::string("distributed: ") + what + ": the group handle must be a number");
    h = info[i].As<Napi::Number>().Int32Value();
  }
  if (h < 0 || h >= static_cast<int>(g_comms.size()) || g_comms[h] == MPI_COMM_NULL) {
    throw Napi::Error::New(env, std::string("distributed: ") + what + ": unknown or freed group handle " + std::to_string(h));
  }
  return g_comms[h];
}

void Check(Napi::Env env, int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char msg[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, msg, &len);
  throw Napi::Error::New(env, std::string("distributed: ") + what + " failed: " + std::string(msg, len));
}

bool IsInit() {
  int flag = 0, fin = 0;
  MPI_Initialized(&flag);
  MPI_Finalized(&fin);
  return flag && !fin;
}

void RequireInit(Napi::Env env, const char* what) {
  if (!IsInit()) throw Napi::Error::New(env, std::string("distributed: ") + what + ": MPI is not initialized; call init() first");
}

struct Buf {
  void* data;
  int count;
  MPI_Datatype type;
};

// A Float32Array, Int32Array or Uint8Array argument, with its MPI type.
Buf GetBuf(const Napi::CallbackInfo& info, size_t i, const char* what, const char* arg) {
  Napi::Env env = info.Env();
  if (i >= info.Length() || !info[i].IsTypedArray()) {
    throw Napi::TypeError::New(env, std::string("distributed: ") + what + ": argument '" + arg + "' must be a Float32Array, Int32Array or Uint8Array");
  }
  Napi::TypedArray ta = info[i].As<Napi::TypedArray>();
  MPI_Datatype t;
  switch (ta.TypedArrayType()) {
    case napi_float32_array: t = MPI_FLOAT; break;
    case napi_int32_array: t = MPI_INT; break;
    case napi_uint8_array: t = MPI_UNSIGNED_CHAR; break;  // bool tensors (0/1)
    default:
      throw Napi::TypeError::New(env, std::string("distributed: ") + what + ": argument '" + arg + "' must be a Float32Array, Int32Array or Uint8Array");
  }
  if (ta.ElementLength() > 0x7fffffff) throw Napi::RangeError::New(env, std::string("distributed: ") + what + ": more than 2^31-1 elements");
  uint8_t* base = static_cast<uint8_t*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
  return {base, static_cast<int>(ta.ElementLength()), t};
}

MPI_Op GetOp(Napi::Env env, const Napi::Value& v) {
  int code = v.As<Napi::Number>().Int32Value();
  switch (code) {
    case 0: return MPI_SUM;
    case 1: return MPI_MAX;
    case 2: return MPI_MIN;
    default: throw Napi::RangeError::New(env, "distributed: unknown reduce op code " + std::to_string(code));
  }
}

Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fin = 0;
  MPI_Finalized(&fin);
  if (fin) throw Napi::Error::New(env, "distributed: init: MPI was already finalized in this process; it cannot be initialized twice");
  int flag = 0;
  MPI_Initialized(&flag);
  if (!flag) {
    // Node loads addons RTLD_LOCAL; Open MPI's plugins resolve libmpi/libopen-pal symbols
    // globally, so promote the library before MPI_Init.
    dlopen("libmpi.so.40", RTLD_NOW | RTLD_GLOBAL | RTLD_NOLOAD);
    int provided = 0;
    int rc = MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided);
    if (rc != MPI_SUCCESS) throw Napi::Error::New(env, "distributed: init: MPI_Init_thread failed (code " + std::to_string(rc) + ")");
    g_inited_here = true;
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  }
  if (g_comms.empty()) g_comms.push_back(MPI_COMM_WORLD);
  int rank = 0, size = 1;
  Check(env, MPI_Comm_rank(MPI_COMM_WORLD, &rank), "MPI_Comm_rank");
  g_world_rank = rank;
  static bool watchdog_started = false;
  if (!watchdog_started) {
    std::thread(WatchdogLoop).detach();
    watchdog_started = true;
  }
  Check(env, MPI_Comm_size(MPI_COMM_WORLD, &size), "MPI_Comm_size");
  Napi::Object o = Napi::Object::New(env);
  o.Set("rank", rank);
  o.Set("size", size);
  return o;
}

Napi::Value Initialized(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), IsInit()); }

Napi::Value Finalize(const Napi::CallbackInfo& info) {
  // MPI_Finalize waits for every rank: a rank that finished early must not wait forever for one
  // that is stuck
  Waiting w("MPI_Finalize");
  if (IsInit() && g_inited_here) MPI_Finalize();
  return info.Env().Undefined();
}

Napi::Value Abort(const Napi::CallbackInfo& info) {
  int code = info.Length() > 0 && info[0].IsNumber() ? info[0].As<Napi::Number>().Int32Value() : 1;
  if (IsInit()) MPI_Abort(MPI_COMM_WORLD, code);
  return info.Env().Undefined();
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  RequireInit(info.Env(), "barrier");
  MPI_Comm comm = GetComm(info, 0, "barrier");
  Waiting w("barrier");
  Check(info.Env(), MPI_Barrier(comm), "MPI_Barrier");
  return info.Env().Undefined();
}

// allReduce(buf, op): in place.
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "allReduce");
  Buf b = GetBuf(info, 0, "allReduce", "buf");
  MPI_Op op = GetOp(env, info[1]);
  MPI_Comm comm = GetComm(info, 2, "allReduce");
  Waiting w("allReduce");
  Check(env, MPI_Allreduce(MPI_IN_PLACE, b.data, b.count, b.type, op, comm), "MPI_Allreduce");
  return env.Undefined();
}

// Non-blocking all-reduces by handle (slots are reused once waited for). The caller keeps the
// typed array alive until wait(); its ArrayBuffer does not move (N-API externalizes it).
std::vector<MPI_Request> g_requests;

// iallReduce(buf, op, comm) → handle: starts an in-place all-reduce.
Napi::Value IallReduce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "iallReduce");
  Buf b = GetBuf(info, 0, "iallReduce", "buf");
  MPI_Op op = GetOp(env, info[1]);
  MPI_Comm comm = GetComm(info, 2, "iallReduce");
  MPI_Request req;
  Check(env, MPI_Iallreduce(MPI_IN_PLACE, b.data, b.count, b.type, op, comm, &req), "MPI_Iallreduce");
  size_t h = 0;
  while (h < g_requests.size() && g_requests[h] != MPI_REQUEST_NULL) h++;
  if (h == g_requests.size()) g_requests.push_back(req);
  else g_requests[h] = req;
  return Napi::Number::New(env, static_cast<double>(h));
}

MPI_Request* GetRequest(const Napi::CallbackInfo& info, const char* what) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, std::string("distributed: ") + what + ": the request handle must be a number");
  int h = info[0].As<Napi::Number>().Int32Value();
  if (h < 0 || h >= static_cast<int>(g_requests.size()) || g_requests[h] == MPI_REQUEST_NULL) {
    throw Napi::Error::New(env, std::string("distributed: ") + what + ": unknown or completed request " + std::to_string(h));
  }
  return &g_requests[h];
}

// test(handle) → true once complete (the handle is then freed). Each call also lets Open MPI
// progress every pending non-blocking collective, which it does only inside MPI calls.
Napi::Value Test(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "test");
  MPI_Request* r = GetRequest(info, "test");
  int done = 0;
  Check(env, MPI_Test(r, &done, MPI_STATUS_IGNORE), "MPI_Test");
  return Napi::Boolean::New(env, done != 0);
}

// wait(handle): blocks until the request completes (under the watchdog) and frees the handle.
Napi::Value Wait(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "wait");
  MPI_Request* r = GetRequest(info, "wait");
  Waiting w("allReduce (non-blocking)");
  Check(env, MPI_Wait(r, MPI_STATUS_IGNORE), "MPI_Wait");
  return env.Undefined();
}

// broadcast(buf, root): in place.
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "broadcast");
  Buf b = GetBuf(info, 0, "broadcast", "buf");
  int root = info[1].As<Napi::Number>().Int32Value();
  MPI_Comm comm = GetComm(info, 2, "broadcast");
  Waiting w("broadcast");
  Check(env, MPI_Bcast(b.data, b.count, b.type, root, comm), "MPI_Bcast");
  return env.Undefined();
}

// allGather(send, recv): recv holds size * send.length elements, rank-major.
Napi::Value AllGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "allGather");
  Buf s = GetBuf(info, 0, "allGather", "send");
  Buf r = GetBuf(info, 1, "allGather", "recv");
  if (s.type != r.type) throw Napi::TypeError::New(env, "distributed: allGather: send and recv must have the same dtype");
  MPI_Comm comm = GetComm(info, 2, "allGather");
  Waiting w("allGather");
  Check(env, MPI_Allgather(s.data, s.count, s.type, r.data, s.count, r.type, comm), "MPI_Allgather");
  return env.Undefined();
}

// reduceScatter(send, recv, op): send holds size * recv.length elements.
Napi::Value ReduceScatter(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "reduceScatter");
  Buf s = GetBuf(info, 0, "reduceScatter", "send");
  Buf r = GetBuf(info, 1, "reduceScatter", "recv");
  if (s.type != r.type) throw Napi::TypeError::New(env, "distributed: reduceScatter: send and recv must have the same dtype");
  MPI_Op op = GetOp(env, info[2]);
  MPI_Comm comm = GetComm(info, 3, "reduceScatter");
  Waiting w("reduceScatter");
  Check(env, MPI_Reduce_scatter_block(s.data, r.data, r.count, r.type, op, comm), "MPI_Reduce_scatter_block");
  return env.Undefined();
}

// commCreate(ranks: Int32Array of world ranks, tag) → handle; called by the members only
// (MPI_Comm_create_group), every member with the same ranks and tag.
Napi::Value CommCreate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  RequireInit(env, "newGroup");
  if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_int32_array) {
    throw Napi::TypeError::New(env, "distributed: newGroup: ranks must be an Int32Array");
  }
  Napi::Int32Array ranks = info[0].As<Napi::Int32Array>();
  MPI_Group world_group, group;
  Check(env, MPI_Comm_group(MPI_COMM_WORLD, &world_group), "MPI_Comm_group");
  int rc = MPI_Group_incl(world_group, static_cast<int>(ranks.ElementLength()), ranks.Data(), &group);
  MPI_Group_free(&world_group);
  Check(env, rc, "MPI_Group_incl");
  MPI_Comm comm;
  int tag = info.Length() > 1 && info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
  {
    Waiting w("newGroup");
    rc = MPI_Comm_create_group(MPI_COMM_WORLD, group, tag, &comm);
  }
  MPI_Group_free(&group);
  Check(env, rc, "MPI_Comm_create_group");
  MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN);
  g_comms.push_back(comm);
  return Napi::Number::New(env, static_cast<double>(g_comms.size() - 1));
}

Napi::Value CommFree(const Napi::CallbackInfo& info) {
  MPI_Comm comm = GetComm(info, 0, "group.free");
  int h = info[0].As<Napi::Number>().Int32Value();
  if (h != 0 && IsInit()) {
    MPI_Comm_free(&comm);
    g_comms[h] = MPI_COMM_NULL;
  }
  return info.Env().Undefined();
}

// setTimeout(seconds): how long one blocking call may wait for the other ranks; 0 disables.
Napi::Value SetTimeout(const Napi::CallbackInfo& info) {
  double sec = info[0].As<Napi::Number>().DoubleValue();
  g_timeout_ms.store(static_cast<int64_t>(sec * 1000.0));
  return info.Env().Undefined();
}

Napi::Value Version(const Napi::CallbackInfo& info) {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  return Napi::String::New(info.Env(), std::string(v, len));
}

Napi::Object Module(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init));
  exports.Set("initialized", Napi::Function::New(env, Initialized));
  exports.Set("finalize", Napi::Function::New(env, Finalize));
  exports.Set("abort", Napi::Function::New(env, Abort));
  exports.Set("barrier", Napi::Function::New(env, Barrier));
  exports.Set("allReduce", Napi::Function::New(env, AllReduce));
  exports.Set("iallReduce", Napi::Function::New(env, IallReduce));
  exports.Set("test", Napi::Function::New(env, Test));
  exports.Set("wait", Napi::Function::New(env, Wait));
  exports.Set("broadcast", Napi::Function::New(env, Broadcast));
  exports.Set("allGather", Napi::Function::New(env, AllGather));
  exports.Set("reduceScatter", Napi::Function::New(env, ReduceScatter));
  exports.Set("version", Napi::Function::New(env, Version));
  exports.Set("setTimeout", Napi::Function::New(env, SetTimeout));
  exports.Set("commCreate", Napi::Function::New(env, CommCreate));
  exports.Set("commFree", Napi::Function::New(env, CommFree));
  return exports;
}

}  // namespace

NODE_API_MODULE(mge_mpi, Module)
