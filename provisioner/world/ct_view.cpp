#include "vzlvs/world/ct_view.hpp"

namespace vzlvs {

CtView::CtView(Ctx& ctx, const ContainerConfig& c) : ct(c), vips(ctx.cfg.vips_of(c)), ctx_(ctx) {}

const CtConfig& CtView::conf() {
    if (!conf_) conf_ = ctx_.seams.containers().config(ct.ctid);
    return *conf_;
}

const std::string& CtView::vz_id() {
    if (!vz_id_) vz_id_ = ctx_.seams.containers().vz_id(ct.ctid);
    return *vz_id_;
}

void CtView::drop_own_reads() {
    conf_.reset();
    status_.reset();
    net_.reset();
}

void CtView::changed() {
    drop_own_reads();
    ctx_.seams.ct_net().forget(ct.ctid);
    ctx_.seams.forget_node_reads();
}

void CtView::reread() {
    drop_own_reads();
    ctx_.seams.forget_ct_reads();
}

const CtStatus& CtView::status() {
    if (!status_) status_ = ctx_.seams.containers().status(ct.ctid);
    return *status_;
}

const CtNetState& CtView::net() {
    if (stuck_) std::rethrow_exception(stuck_);
    if (!net_) {
        try {
            net_ = ctx_.seams.ct_net().observe(ct.ctid, vips);
        } catch (const TimedOut&) {
            stuck_ = std::current_exception();
            throw;
        }
    }
    return *net_;
}

}  // namespace vzlvs
