/* Error table of the can area. Append-only: never renumber. */
#include <stddef.h>

#include "pl_err_can.h"

static const struct {
	int code;
	const char *name;
	const char *text;
} table[] = {
	{ PL_E_CAN_FIRST, "can_first", "reserved can error code" },
	{ PL_E_CAN_URI, "can_uri",
	  "bad CAN transport: use socketcan:IFACE (e.g. socketcan:vcan0) or loop:NAME (e.g. loop:bench)" },
	{ PL_E_CAN_NO_SOCKETCAN, "can_no_socketcan",
	  "this kernel has no SocketCAN support (modprobe can-raw) - use loop:NAME" },
	{ PL_E_CAN_NO_IFACE, "can_no_iface",
	  "no CAN interface of that name (see `ip link`; for a virtual bus: ip link add vcan0 type vcan)" },
	{ PL_E_CAN_IFACE_DOWN, "can_iface_down",
	  "the CAN interface is down (ip link set IFACE up)" },
	{ PL_E_CAN_SEND, "can_send", "the CAN transport refused to send a frame" },
	{ PL_E_CAN_RECV, "can_recv", "reading a frame from the CAN transport failed" },
	{ PL_E_CAN_BUS_DIR, "can_bus_dir",
	  "the loop bus directory is unusable: it must be a directory owned by this user with mode 0700" },
	{ PL_E_CAN_PATH_TOO_LONG, "can_path_too_long",
	  "the loop bus socket path is too long (shorten PITLANE_CANBUS_DIR or the bus name)" },
	{ PL_E_CAN_BAD_FRAME, "can_bad_frame",
	  "invalid CAN frame (id above 0x7FF/0x1FFFFFFF or more than 8 data bytes)" },
	{ PL_E_CAN_RX_TIMEOUT, "can_rx_timeout", "no CAN frame arrived within the timeout" },
	{ PL_E_CAN_TX_TIMEOUT, "can_tx_timeout",
	  "a CAN frame could not be sent within the timeout (bus busy or off?)" },
	{ PL_E_CAN_TOO_MANY_IDS, "can_too_many_ids", "too many CAN ids in one receive filter" },
	{ PL_E_CAN_NOT_CAN, "can_not_can",
	  "that interface is not a CAN interface (list CAN interfaces with: ip -details link show type can)" },
	{ PL_E_ISOTP_TIMEOUT_BS, "isotp_timeout_bs",
	  "ISO-TP: the receiver sent no flow control frame within N_Bs (wrong ids? peer gone?)" },
	{ PL_E_ISOTP_TIMEOUT_CR, "isotp_timeout_cr",
	  "ISO-TP: the sender stopped in the middle of a message (no consecutive frame within N_Cr)" },
	{ PL_E_ISOTP_BAD_SN, "isotp_bad_sn",
	  "ISO-TP: consecutive frame with the wrong sequence number (a frame was lost or repeated)" },
	{ PL_E_ISOTP_UNEXPECTED_CF, "isotp_unexpected_cf",
	  "ISO-TP: consecutive frame without a first frame" },
	{ PL_E_ISOTP_UNEXPECTED_FRAME, "isotp_unexpected_frame",
	  "ISO-TP: unexpected frame (a new message interrupted one in progress)" },
	{ PL_E_ISOTP_FC_OVERFLOW, "isotp_fc_overflow",
	  "ISO-TP: the receiver cannot take a message this long (flow status overflow)" },
	{ PL_E_ISOTP_WAIT_LIMIT, "isotp_wait_limit",
	  "ISO-TP: the receiver kept asking to wait (more FC WAIT frames than allowed)" },
	{ PL_E_ISOTP_BAD_FC, "isotp_bad_fc", "ISO-TP: flow control frame with a reserved flow status" },
	{ PL_E_ISOTP_BAD_PCI, "isotp_bad_pci",
	  "ISO-TP: malformed frame (unknown frame type, bad length field or frame too short)" },
	{ PL_E_ISOTP_RX_OVERFLOW, "isotp_rx_overflow",
	  "ISO-TP: incoming message is longer than the receive buffer (answered with overflow)" },
	{ PL_E_ISOTP_MSG_SIZE, "isotp_msg_size",
	  "ISO-TP: message to send is empty or longer than 2^32-1 bytes" },
	{ PL_E_ISOTP_RX_TIMEOUT, "isotp_rx_timeout", "ISO-TP: no message arrived within the timeout" },
	{ PL_E_ISOTP_STATE, "isotp_state", "ISO-TP: state machine used in the wrong state (a bug)" },
	{ PL_E_UDS_EMPTY, "uds_empty", "UDS: empty message" },
	{ PL_E_UDS_SERVICE, "uds_service", "UDS: service not supported" },
	{ PL_E_UDS_SUBFUNC, "uds_subfunc", "UDS: sub-function not supported" },
	{ PL_E_UDS_LENGTH, "uds_length",
	  "UDS: message length or an embedded length field is wrong" },
	{ PL_E_UDS_MISMATCH, "uds_mismatch",
	  "UDS: the response does not answer the request (other service, sub-function or identifier)" },
	{ PL_E_UDS_P2_TIMEOUT, "uds_p2_timeout",
	  "UDS: the ECU did not answer within P2 (wrong CAN ids, ECU asleep or not present?)" },
	{ PL_E_UDS_P2STAR_TIMEOUT, "uds_p2star_timeout",
	  "UDS: the ECU said 'response pending' but sent no answer within P2*" },
	{ PL_E_UDS_PENDING_LIMIT, "uds_pending_limit",
	  "UDS: the ECU answered 'response pending' too many times" },
	{ PL_E_UDS_BAD_VALUE, "uds_bad_value", "UDS: a field holds a value out of range" },
	{ PL_E_UDS_ALG_MISMATCH, "uds_alg_mismatch",
	  "UDS: the ECU uses another authentication algorithm (algorithmIndicator is not pitlane CWT/ES256)" },
	{ PL_E_CAN_LINK_QUERY, "can_link_query",
	  "reading the CAN link state failed (is it a CAN interface?)" },
	{ PL_E_CAN_LINK_SET, "can_link_set",
	  "the CAN device refused the settings (bitrate not supported, or the link is up: ip link set IFACE down)" },
	{ PL_E_CAN_LINK_PERM, "can_link_perm",
	  "changing CAN link settings needs CAP_NET_ADMIN (run as root or grant the capability)" },
};

const char *pl_err_can_text(int err, int name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (table[i].code == err)
			return name ? table[i].name : table[i].text;
	return NULL;
}
