/* Error codes of the can area (-200 .. -299). Append-only; see pl_err.h. Owner: lib/can, vehicle. */
#ifndef PITLANE_ERR_CAN_H
#define PITLANE_ERR_CAN_H

enum pl_err_can {
	PL_E_CAN_FIRST = -200, /* reserved: marks the start of the range */

	/* transports (-201 .. -219) */
	PL_E_CAN_URI = -201,            /* transport URI is not socketcan:IFACE or loop:NAME */
	PL_E_CAN_NO_SOCKETCAN = -202,   /* kernel has no PF_CAN / CAN_RAW */
	PL_E_CAN_NO_IFACE = -203,       /* no network interface of that name */
	PL_E_CAN_IFACE_DOWN = -204,     /* interface is down */
	PL_E_CAN_SEND = -205,           /* the transport refused a frame */
	PL_E_CAN_RECV = -206,           /* reading a frame failed */
	PL_E_CAN_BUS_DIR = -207,        /* loop bus directory unusable (owner/mode/type) */
	PL_E_CAN_PATH_TOO_LONG = -208,  /* loop bus socket path longer than sun_path */
	PL_E_CAN_BAD_FRAME = -209,      /* frame invalid (id out of range, length > 8) */
	PL_E_CAN_RX_TIMEOUT = -210,     /* no frame arrived within the timeout */
	PL_E_CAN_TX_TIMEOUT = -211,     /* a frame could not be sent within the timeout */
	PL_E_CAN_TOO_MANY_IDS = -212,   /* receive filter holds more ids than supported */
	PL_E_CAN_NOT_CAN = -213,        /* the interface exists but is not a CAN interface */

	/* ISO-TP (-220 .. -249) */
	PL_E_ISOTP_TIMEOUT_BS = -220,   /* no flow control frame within N_Bs */
	PL_E_ISOTP_TIMEOUT_CR = -221,   /* no consecutive frame within N_Cr */
	PL_E_ISOTP_BAD_SN = -222,       /* consecutive frame with the wrong sequence number */
	PL_E_ISOTP_UNEXPECTED_CF = -223, /* consecutive frame without a first frame */
	PL_E_ISOTP_UNEXPECTED_FRAME = -224, /* SF/FF interrupted a reception, or data while awaiting FC */
	PL_E_ISOTP_FC_OVERFLOW = -225,  /* receiver answered flow status overflow */
	PL_E_ISOTP_WAIT_LIMIT = -226,   /* receiver sent more FC WAIT frames than allowed */
	PL_E_ISOTP_BAD_FC = -227,       /* flow control frame with a reserved flow status */
	PL_E_ISOTP_BAD_PCI = -228,      /* malformed frame: PCI type, length field or DLC */
	PL_E_ISOTP_RX_OVERFLOW = -229,  /* incoming message longer than the receive buffer */
	PL_E_ISOTP_MSG_SIZE = -230,     /* message to send is empty or too long */
	PL_E_ISOTP_RX_TIMEOUT = -231,   /* no message started within the timeout */
	PL_E_ISOTP_STATE = -232,        /* state machine called in the wrong state (a bug) */

	/* UDS (-250 .. -279) */
	PL_E_UDS_EMPTY = -250,          /* empty UDS message */
	PL_E_UDS_SERVICE = -251,        /* service id not supported */
	PL_E_UDS_SUBFUNC = -252,        /* sub-function not supported */
	PL_E_UDS_LENGTH = -253,         /* message length or a length field is wrong */
	PL_E_UDS_MISMATCH = -254,       /* response does not answer the request */
	PL_E_UDS_P2_TIMEOUT = -255,     /* no response within P2 */
	PL_E_UDS_P2STAR_TIMEOUT = -256, /* no final response within P2* after 0x78 */
	PL_E_UDS_PENDING_LIMIT = -257,  /* too many response-pending (0x78) answers */
	PL_E_UDS_BAD_VALUE = -258,      /* a field holds a value the codec refuses */
	PL_E_UDS_ALG_MISMATCH = -259,   /* 0x29 algorithmIndicator is not pitlane's */

	/* CAN link management (-280 .. -299) */
	PL_E_CAN_LINK_QUERY = -280,     /* reading link state over netlink failed */
	PL_E_CAN_LINK_SET = -281,       /* the device refused the new link settings */
	PL_E_CAN_LINK_PERM = -282,      /* changing link settings needs CAP_NET_ADMIN */
};

/* Sentence (name == 0) or stable name (name != 0) for err, NULL if unknown. */
const char *pl_err_can_text(int err, int name);

#endif
