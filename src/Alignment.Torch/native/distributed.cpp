// torch.distributed over c10d: a TCPStore rendezvous, a process group (Gloo; NCCL when this library is built against a
// CUDA libtorch with NCCL headers), the collectives a data-parallel trainer needs (allreduce, broadcast, barrier) and
// DDP's bucketed gradient allreduce, which is c10d's own Reducer: autograd hooks mark each parameter's gradient ready,
// full buckets are allreduced while the rest of the backward pass runs, and the averaged buckets are copied back into
// .grad when the backward pass ends.
// Every call runs inside GUARD: a collective that fails (a peer that died, a timeout) comes back as an error message.
#include "common.h"

#ifdef ALIGN_WITH_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#ifdef ALIGN_WITH_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>

using atg::Handle;
using atg::ref;

namespace {

struct Group {
    c10::intrusive_ptr<c10d::Store> store;
    c10::intrusive_ptr<c10d::ProcessGroup> pg;
    std::string backend;
    std::chrono::milliseconds timeout;
};

Group& group(void* g) {
    if (g == nullptr) throw std::invalid_argument("null process group handle");
    return *static_cast<Group*>(g);
}

c10d::ReduceOp reduce_op(int op) {
    switch (op) {
        case 0: return c10d::ReduceOp::SUM;
        case 1: return c10d::ReduceOp::MAX;
        case 2: return c10d::ReduceOp::MIN;
        case 3: return c10d::ReduceOp::PRODUCT;
        default: throw std::invalid_argument("unknown reduce op " + std::to_string(op) + " (0 sum, 1 max, 2 min, 3 product)");
    }
}

bool loopback(const std::string& host) { return host == "127.0.0.1" || host == "localhost" || host == "::1"; }

#ifdef ALIGN_WITH_GLOO
// The Gloo device this rank talks through: GLOO_SOCKET_IFNAME as torch.distributed reads it, the loopback address when
// the master is on this machine's loopback, else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> gloo_device(const std::string& master) {
    if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname != nullptr && *ifname != 0)
        return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
    if (loopback(master)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
    return c10d::ProcessGroupGloo::createDefaultDevice();
}
#endif

void wait(const c10::intrusive_ptr<c10d::Work>& work, const Group& g) { work->wait(g.timeout); }

}  // namespace

// 1 when this library can make NCCL process groups, else 0.
ATG_API int atg_dist_has_nccl() {
#ifdef ALIGN_WITH_NCCL
    return 1;
#else
    return 0;
#endif
}

// Joins (rank 0: hosts) the TCPStore at host:port, waits for all world_size ranks and makes the process group.
// backend: "gloo" or "nccl". timeout_ms bounds the rendezvous and every collective.
ATG_API void* atg_dist_init(const char* backend, const char* host, int port, int rank, int world_size, int64_t timeout_ms) {
    GUARD(nullptr,
        if (backend == nullptr || host == nullptr) throw std::invalid_argument("backend and host are required");
        if (world_size < 1) throw std::invalid_argument("world size must be at least 1, got " + std::to_string(world_size));
        if (rank < 0 || rank >= world_size)
            throw std::invalid_argument("rank " + std::to_string(rank) + " is outside [0, " + std::to_string(world_size) + ")");
        if (port < 1 || port > 65535) throw std::invalid_argument("port " + std::to_string(port) + " is outside [1, 65535]");
        if (timeout_ms <= 0) throw std::invalid_argument("timeout must be positive");
        auto g = std::make_unique<Group>();
        g->backend = backend;
        g->timeout = std::chrono::milliseconds(timeout_ms);
        c10d::TCPStoreOptions so;
        so.port = static_cast<std::uint16_t>(port);
        so.isServer = rank == 0;
        so.numWorkers = static_cast<std::size_t>(world_size);
        so.waitWorkers = true;
        so.timeout = g->timeout;
        auto tcp = c10::make_intrusive<c10d::TCPStore>(std::string(host), so);
        g->store = tcp;
        auto prefixed = c10::make_intrusive<c10d::PrefixStore>("align/" + g->backend, g->store);
        if (g->backend == "gloo") {
#ifdef ALIGN_WITH_GLOO
            auto options = c10d::ProcessGroupGloo::Options::create(g->timeout);
            options->devices.push_back(gloo_device(host));
            options->threads = 2;
            g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(prefixed, rank, world_size, options);
#else
            throw std::invalid_argument("backend gloo: this bridge was built without Gloo's headers (Debian: libgloo-dev); use nccl");
#endif
        } else if (g->backend == "nccl") {
#ifdef ALIGN_WITH_NCCL
            auto options = c10d::ProcessGroupNCCL::Options::create();
            options->timeout = g->timeout;
            g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank, world_size, options);
#else
            throw std::invalid_argument("backend nccl: this bridge was built without NCCL (it needs a CUDA libtorch and nccl.h); use gloo");
#endif
        } else {
            throw std::invalid_argument("unknown backend '" + g->backend + "' (gloo or nccl)");
        }
        return static_cast<void*>(g.release());
    )
}

ATG_API void atg_dist_free(void* g) { delete static_cast<Group*>(g); }

ATG_API int atg_dist_rank(void* g) { GUARD(-1, return group(g).pg->getRank();) }

ATG_API int atg_dist_world_size(void* g) { GUARD(-1, return group(g).pg->getSize();) }

// In place, over all ranks, one collective per tensor issued together and then awaited.
ATG_API int atg_dist_allreduce(void* g, Handle* ts, int n, int op) {
    GUARD_V(
        auto& gr = group(g);
        c10d::AllreduceOptions options;
        options.reduceOp = reduce_op(op);
        options.timeout = gr.timeout;
        std::vector<c10::intrusive_ptr<c10d::Work>> works;
        for (int i = 0; i < n; i++) {
            std::vector<at::Tensor> one{ref(ts[i])};
            works.push_back(gr.pg->allreduce(one, options));
        }
        for (auto& w : works) wait(w, gr);
    )
}

// In place: every rank's tensors become root's.
ATG_API int atg_dist_broadcast(void* g, Handle* ts, int n, int root) {
    GUARD_V(
        auto& gr = group(g);
        c10d::BroadcastOptions options;
        options.rootRank = root;
        options.timeout = gr.timeout;
        std::vector<c10::intrusive_ptr<c10d::Work>> works;
        for (int i = 0; i < n; i++) {
            std::vector<at::Tensor> one{ref(ts[i])};
            works.push_back(gr.pg->broadcast(one, options));
        }
        for (auto& w : works) wait(w, gr);
    )
}

ATG_API int atg_dist_barrier(void* g) {
    GUARD_V(
        auto& gr = group(g);
        c10d::BarrierOptions options;
        options.timeout = gr.timeout;
        wait(gr.pg->barrier(options), gr);
    )
}

// Store keys (rendezvous-side messages: a rank that fails names itself here before it exits).
ATG_API int atg_dist_store_set(void* g, const char* key, const char* value) {
    GUARD_V(
        std::string v(value == nullptr ? "" : value);
        group(g).store->set(std::string("align/msg/") + key, std::vector<uint8_t>(v.begin(), v.end()));
    )
}

// Returns the value (malloc'ed; free with atg_string_free) or nullptr without an error when the key is absent.
ATG_API char* atg_dist_store_get(void* g, const char* key) {
    GUARD(nullptr,
        auto& gr = group(g);
        std::string k = std::string("align/msg/") + key;
        if (!gr.store->check({k})) return static_cast<char*>(nullptr);
        auto v = gr.store->get(k);
        char* out = static_cast<char*>(std::malloc(v.size() + 1));
        std::memcpy(out, v.data(), v.size());
        out[v.size()] = 0;
        return out;
    )
}

// ---- DDP's Reducer ----------------------------------------------------------------------------------------------

struct Ddp {
    std::shared_ptr<c10d::Reducer> reducer;
};

// The plain sum of the ranks' buckets. Registering any hook also turns off the Reducer's division by world size, so a
// trainer whose every rank divides its loss by the units of the whole global batch gets exactly one process's gradient.
class SumHook : public c10d::CommHookInterface {
public:
    explicit SumHook(c10::intrusive_ptr<c10d::ProcessGroup> pg) : pg_(std::move(pg)) {}

    c10::intrusive_ptr<c10::ivalue::Future> runHook(c10d::GradBucket& bucket) override {
        std::vector<at::Tensor> tensors{bucket.getBufferRef()};
        return pg_->allreduce(tensors)->getFuture();
    }

    // The future's value is the list of reduced tensors (one here). Written out because libtorch does not export
    // c10d::detail::parseCppCommHookResult, which CppCommHookInterface would call.
    at::Tensor parseHookResult(const c10::IValue& result) override {
        if (result.isTensor()) return result.toTensor();
        return result.toTensorVector().at(0);
    }

private:
    c10::intrusive_ptr<c10d::ProcessGroup> pg_;
};

// A Reducer over the n parameters (all ranks must pass the same shapes in the same order). Buckets as DDP lays them
// out: parameters in reverse order (roughly the order their gradients become ready), the first bucket capped at
// first_bucket_bytes, the others at bucket_bytes. average != 0: DDP's mean over ranks; 0: the sum (SumHook).
ATG_API void* atg_ddp_new(void* g, Handle* params, int n, int64_t bucket_bytes, int64_t first_bucket_bytes, int find_unused, int average) {
    GUARD(nullptr,
        auto& gr = group(g);
        if (n <= 0) throw std::invalid_argument("no parameters to reduce");
        if (bucket_bytes <= 0 || first_bucket_bytes <= 0) throw std::invalid_argument("bucket sizes must be positive");
        std::vector<at::Tensor> ps = atg::tensors(params, n);
        for (int i = 0; i < n; i++)
            if (!ps[i].requires_grad()) throw std::invalid_argument("parameter " + std::to_string(i) + " does not require grad");
        // Every rank must hold the same shapes: checked over the group before any hook is installed. c10d compares each
        // rank's with rank 0's, so only the ranks that differ see the error; a second allreduce tells everyone.
        std::string mismatch;
        try {
            c10d::verify_params_across_processes(gr.pg, ps, c10::nullopt);
        } catch (const c10::Error& e) {
            mismatch = e.what_without_backtrace();
        }
        std::vector<at::Tensor> flag{at::full({1}, mismatch.empty() ? 0 : 1, at::kInt)};
        c10d::AllreduceOptions sum;
        sum.timeout = gr.timeout;
        wait(gr.pg->allreduce(flag, sum), gr);
        if (!mismatch.empty()) throw std::invalid_argument(mismatch);
        if (flag[0].item<int>() > 0)
            throw std::invalid_argument(std::to_string(flag[0].item<int>()) + " rank(s) hold parameters whose sizes differ from rank 0's (their errors list them)");
        std::vector<bool> sparse(ps.size(), false);
        auto [indices, limits] = c10d::compute_bucket_assignment_by_size(
            ps, {static_cast<size_t>(first_bucket_bytes), static_cast<size_t>(bucket_bytes)}, sparse);
        std::reverse(indices.begin(), indices.end());
        std::reverse(limits.begin(), limits.end());
        auto d = std::make_unique<Ddp>();
        d->reducer = std::make_shared<c10d::Reducer>(ps, indices, limits, gr.pg, sparse, bucket_bytes, find_unused != 0,
                                                     /*gradient_as_bucket_view=*/false, std::unordered_map<size_t, std::string>{},
                                                     first_bucket_bytes);
        if (average == 0) d->reducer->register_comm_hook(std::make_unique<SumHook>(gr.pg));
        return static_cast<void*>(d.release());
    )
}

ATG_API void atg_ddp_free(void* d) {
    try {
        delete static_cast<Ddp*>(d);
    } catch (...) {
        // ~Reducer may throw (noexcept(false)); nothing can be reported from a free.
    }
}

// Arms the Reducer for the next backward pass: that backward allreduces every parameter's gradient (as accumulated so
// far) in buckets. Without this call a backward pass only accumulates locally (DDP's no_sync).
ATG_API int atg_ddp_prepare_for_backward(void* d, Handle* outputs, int n) {
    GUARD_V(
        if (d == nullptr) throw std::invalid_argument("null DDP handle");
        static_cast<Ddp*>(d)->reducer->prepare_for_backward(atg::tensors(outputs, n));
    )
}

// Bucket count and the bucket sizes in bytes as laid out (writes at most cap sizes).
ATG_API int atg_ddp_buckets(void* d, int64_t* sizes, int cap) {
    GUARD(-1,
        if (d == nullptr) throw std::invalid_argument("null DDP handle");
        auto buckets = static_cast<Ddp*>(d)->reducer->get_grad_buckets(/*return_zero_tensors=*/true);
        int count = static_cast<int>(buckets.size());
        for (int i = 0; i < count && i < cap; i++) sizes[i] = buckets[i].getBuffer().numel() * buckets[i].getBuffer().element_size();
        return count;
    )
}
