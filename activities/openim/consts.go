package openim

// Platform IDs (reference §4.1).
const (
	PlatformIOS       int32 = 1
	PlatformAndroid   int32 = 2
	PlatformWindows   int32 = 3
	PlatformOSX       int32 = 4
	PlatformWeb       int32 = 5
	PlatformMiniWeb   int32 = 6
	PlatformLinux     int32 = 7
	PlatformAPad      int32 = 8
	PlatformIPad      int32 = 9
	PlatformAdmin     int32 = 10
	PlatformHarmonyOS int32 = 11
)

// platformNames are OpenIM's own names (protocol constant.PlatformIDToName),
// as its presence webhooks carry them in "platform".
var platformNames = map[int32]string{
	PlatformIOS: "IOS", PlatformAndroid: "Android", PlatformWindows: "Windows", PlatformOSX: "OSX",
	PlatformWeb: "Web", PlatformMiniWeb: "MiniWeb", PlatformLinux: "Linux", PlatformAPad: "APad",
	PlatformIPad: "IPad", PlatformAdmin: "Admin", PlatformHarmonyOS: "HarmonyOS",
}

// PlatformName is OpenIM's name of a platform id, "" for an unknown id.
func PlatformName(id int32) string { return platformNames[id] }

// Status values of OnlineStatus and UserStatus.
const (
	StatusOffline int32 = 0
	StatusOnline  int32 = 1
)

// Error codes a caller may want to test with IsCode (reference §1.5).
const (
	CodeServerInternal    = 500
	CodeArgs              = 1001
	CodeNoPermission      = 1002
	CodeRecordNotFound    = 1004
	CodeRegisteredAlready = 1102
	CodeTokenExpired      = 1501
	CodeTokenUnknown      = 1505
	CodeTokenKicked       = 1506
	CodeTokenNotExist     = 1507
	CodeNetwork           = 90004
)

const (
	pathGetAdminToken        = "/auth/get_admin_token"
	pathForceLogout          = "/auth/force_logout"
	pathUserRegister         = "/user/user_register"
	pathAccountCheck         = "/user/account_check"
	pathGetUsersInfo         = "/user/get_users_info"
	pathGetUsersOnlineStatus = "/user/get_users_online_status"
	pathGetUsersStatus       = "/user/get_users_status"
	pathFCMUpdateToken       = "/third/fcm_update_token"
)
